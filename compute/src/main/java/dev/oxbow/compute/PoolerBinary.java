package dev.oxbow.compute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PgBouncer executable behind the pooled hosts and its version. Looked up in {@code OXBOW_PGBOUNCER}, then where
 * scripts/build-pgbouncer installs it ({@code /opt/oxbow/pgbouncer}, {@code ~/.oxbow/tools/pgbouncer}), then Debian's
 * package path. Prepared statements in transaction mode need 1.21 or later ({@code max_prepared_statements}).
 */
public record PoolerBinary(Path path, int major, int minor) {
    public static final String ENV = "OXBOW_PGBOUNCER";
    private static final Pattern VERSION = Pattern.compile("PgBouncer (\\d+)\\.(\\d+)");

    /** Tracks prepared statements across server connections, so they work in transaction mode. */
    public boolean preparedStatements() {
        return major > 1 || (major == 1 && minor >= 21);
    }

    public String version() {
        return major + "." + minor;
    }

    /** The first usable binary of the candidates, preferring one with prepared-statement support. */
    public static Optional<PoolerBinary> find() {
        List<PoolerBinary> found = new ArrayList<>();
        for (Path candidate : candidates()) {
            probe(candidate).ifPresent(found::add);
        }
        return found.stream().filter(PoolerBinary::preparedStatements).findFirst().or(() -> found.stream().findFirst());
    }

    static List<Path> candidates() {
        List<Path> paths = new ArrayList<>();
        String configured = System.getenv(ENV);
        if (configured != null && !configured.isBlank()) {
            paths.add(Path.of(configured));
        }
        paths.add(Path.of("/opt/oxbow/pgbouncer/bin/pgbouncer"));
        paths.add(Path.of(System.getProperty("user.home"), ".oxbow", "tools", "pgbouncer", "bin", "pgbouncer"));
        paths.add(Path.of("/usr/sbin/pgbouncer"));
        paths.add(Path.of("/usr/bin/pgbouncer"));
        return paths;
    }

    /** {@code path --version}, or empty when it is missing or does not say "PgBouncer x.y". */
    public static Optional<PoolerBinary> probe(Path path) {
        if (!Files.isExecutable(path)) {
            return Optional.empty();
        }
        try {
            Process p = new ProcessBuilder(path.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return parse(path, out);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Optional<PoolerBinary> parse(Path path, String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput);
        return m.find() ? Optional.of(new PoolerBinary(path, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)))) : Optional.empty();
    }
}
