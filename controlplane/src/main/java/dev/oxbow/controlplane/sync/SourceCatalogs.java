package dev.oxbow.controlplane.sync;

import dev.oxbow.controlplane.resource.ApiException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Resolves a synced table's {@code source_table_full_name}: {@code catalog.schema.table} through the configured
 * catalogs ({@code <root>/<schema>/<table>}), or a Delta table path or URI given directly.
 */
public final class SourceCatalogs {
    private static final Pattern THREE_PART = Pattern.compile("^[A-Za-z0-9_]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+$");
    private final SyncConfig config;

    public SourceCatalogs(SyncConfig config) {
        this.config = config;
    }

    String location(String source) {
        if (source.contains("/") || source.contains(":")) {
            if (source.contains("://") || source.startsWith("file:")) {
                return source;
            }
            Path p = Path.of(source);
            if (!p.isAbsolute()) {
                throw ApiException.invalid("spec.source_table_full_name: a path must be absolute, got '" + source + "'.");
            }
            return p.normalize().toString();
        }
        if (!THREE_PART.matcher(source).matches()) {
            throw ApiException.invalid("spec.source_table_full_name must be catalog.schema.table (letters, digits, _) or a Delta table path, got '"
                    + source + "'.");
        }
        String[] parts = source.split("\\.");
        Path root = config.catalogs().get(parts[0]);
        if (root == null) {
            throw ApiException.invalid("Catalog '" + parts[0] + "' is not configured; configured catalogs: " + config.catalogs().keySet()
                    + ". Start Oxbow with --catalog " + parts[0] + "=/path/to/root, or give the table's path.");
        }
        return root.resolve(parts[1]).resolve(parts[2]).toAbsolutePath().normalize().toString();
    }
}
