package dev.oxbow.controlplane.sync;

import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.SyncedTable;
import dev.oxbow.sync.DeltaSource;
import dev.oxbow.sync.SourceRoot;
import dev.oxbow.sync.SyncException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Resolves a synced table's {@code source_table_full_name}: {@code catalog.schema.table} through the catalogs the
 * admin configured ({@code <root>/<schema>/<table>}), for callers granted the catalog; a local path (or
 * {@code file:} URI) only for admins. Other URIs are refused: the server would read them with its own network
 * access. Paths are real paths (symbolic links resolved) and must stay inside their root, here and for every
 * file the Delta reader opens later ({@link SourceRoot}).
 */
public final class SourceCatalogs {
    private static final Pattern THREE_PART = Pattern.compile("^[A-Za-z0-9_]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+$");
    private final SyncConfig config;
    private final AccessControl access;

    public SourceCatalogs(SyncConfig config, AccessControl access) {
        this.config = config;
        this.access = access;
    }

    /** Where a source lives: its real {@code location}, the {@code root} its files must stay in, and the {@code name} errors use. */
    record Source(String location, SourceRoot root, String name) {
        DeltaSource open() {
            return new DeltaSource(location, root, name);
        }
    }

    /** The source {@code caller} asked for, checked: their right to it, its kind, and that it stays inside its root. */
    Source resolve(Principal caller, String source) {
        if (THREE_PART.matcher(source).matches()) {
            return inCatalog(caller, source);
        }
        if (source.contains("://") || (source.contains(":") && !source.startsWith("file:"))) {
            throw ApiException.invalid("spec.source_table_full_name: URIs are not accepted, got '" + source
                    + "'. Name a table of a catalog: catalog.schema.table.");
        }
        if (!source.contains("/") && !source.startsWith("file:")) {
            throw ApiException.invalid("spec.source_table_full_name must be catalog.schema.table (letters, digits, _), got '" + source + "'.");
        }
        if (!caller.admin()) {
            throw new ApiException(403, "PERMISSION_DENIED", "Only workspace admins can sync from a path; name a table of a catalog you"
                    + " were granted (catalog.schema.table).");
        }
        Path path = source.startsWith("file:") ? fileUri(source) : Path.of(source);
        if (!path.isAbsolute()) {
            throw ApiException.invalid("spec.source_table_full_name: a path must be absolute, got '" + source + "'.");
        }
        try {
            Path real = path.toRealPath();
            return new Source(real.toString(), SourceRoot.of(real), source);
        } catch (IOException e) {
            throw ApiException.invalid("No Delta table at " + source + ".");
        }
    }

    private static Path fileUri(String source) {
        try {
            URI uri = URI.create(source);
            if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()) {
                throw ApiException.invalid("spec.source_table_full_name: a file: URI names a local file, got '" + source + "'.");
            }
            return Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("spec.source_table_full_name is not a valid file: URI: '" + source + "'.");
        }
    }

    private Source inCatalog(Principal caller, String source) {
        String[] parts = source.split("\\.");
        Path root = config.catalogs().get(parts[0]);
        if (root == null) {
            throw ApiException.invalid("Catalog '" + parts[0] + "' is not configured; configured catalogs: " + config.catalogs().keySet()
                    + ". Start Oxbow with --catalog " + parts[0] + "=/path/to/root.");
        }
        if (!access.canUseCatalog(caller, parts[0])) {
            throw new ApiException(403, "PERMISSION_DENIED", caller.name() + " may not sync from catalog " + parts[0]
                    + "; ask a workspace admin to grant CAN_USE on it (PUT /api/2.0/permissions/oxbow-catalogs/" + parts[0] + ").");
        }
        SourceRoot catalogRoot;
        try {
            catalogRoot = SourceRoot.of(root);
        } catch (IOException e) {
            throw ApiException.invalid("Catalog '" + parts[0] + "' has no directory on this server; ask the admin to create it.");
        }
        Path real;
        try {
            real = catalogRoot.realRoot().resolve(parts[1]).resolve(parts[2]).toRealPath();
        } catch (NoSuchFileException e) {
            throw ApiException.invalid("No Delta table at " + source + ".");
        } catch (IOException e) {
            throw ApiException.invalid("Cannot open the Delta table " + source + ".");
        }
        if (!real.startsWith(catalogRoot.realRoot())) {
            throw ApiException.invalid("The Delta table " + source + " resolves outside catalog " + parts[0]
                    + " (a symbolic link?); Oxbow reads only tables inside the catalog's directory.");
        }
        return new Source(real.toString(), catalogRoot, source);
    }

    /**
     * The reader of a synced table's source, confined as at create time: a catalog table to its catalog's current
     * root, a path an admin gave to the table's own directory.
     */
    DeltaSource open(SyncedTable t) throws SyncException {
        String name = t.sourceTableFullName();
        try {
            if (THREE_PART.matcher(name).matches() && config.catalogs().containsKey(name.split("\\.")[0])) {
                return new DeltaSource(t.sourceLocation(), SourceRoot.of(config.catalogs().get(name.split("\\.")[0])), name);
            }
            return new DeltaSource(t.sourceLocation(), SourceRoot.of(Path.of(t.sourceLocation())), name);
        } catch (IOException e) {
            throw new SyncException("No Delta table at " + name + ".");
        }
    }
}
