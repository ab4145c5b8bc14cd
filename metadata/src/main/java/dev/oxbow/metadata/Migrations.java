package dev.oxbow.metadata;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Versioned schema migrations: {@code db/migration/V<n>__*.sql} applied in order, each in its own
 * transaction together with the bump of {@code PRAGMA user_version}.
 */
final class Migrations {
    static final List<String> SCRIPTS = List.of("V1__init.sql", "V2__identity.sql", "V3__endpoint_uid.sql", "V4__catalog_permissions.sql");

    private Migrations() {}

    static int apply(SqliteDatabase db) {
        int current = Integer.parseInt(db.query("PRAGMA user_version", 1).get(0)[0]);
        for (int version = current + 1; version <= SCRIPTS.size(); version++) {
            String sql = read(SCRIPTS.get(version - 1));
            int target = version;
            db.transaction(() -> {
                for (String statement : statements(sql)) {
                    db.exec(statement);
                }
                db.exec("PRAGMA user_version = " + target);
                return null;
            });
        }
        return SCRIPTS.size();
    }

    private static List<String> statements(String sql) {
        StringBuilder cleaned = new StringBuilder();
        for (String line : sql.split("\n")) {
            if (!line.strip().startsWith("--")) {
                cleaned.append(line).append('\n');
            }
        }
        return java.util.Arrays.stream(cleaned.toString().split(";"))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static String read(String script) {
        try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + script)) {
            if (in == null) {
                throw new IllegalStateException("missing migration " + script);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MetadataException("cannot read migration " + script, e);
        }
    }
}
