package dev.oxbow.auth;

import java.util.List;

/**
 * What a scoped database credential may do, beyond the endpoint and identity every token names. {@code readOnlyTables}
 * (from READ_ONLY claims; {@code database.schema.table}, {@code schema.table} or {@code table} names) limits the login to
 * reading those tables; {@code groupRole} (from group_name) makes the login the group's role instead of the subject's.
 * {@link #FULL} is an unscoped credential.
 */
public record TokenScope(List<String> readOnlyTables, String groupRole) {
    public static final TokenScope FULL = new TokenScope(List.of(), null);

    public TokenScope {
        readOnlyTables = readOnlyTables == null ? List.of() : List.copyOf(readOnlyTables);
    }

    public boolean readOnly() {
        return !readOnlyTables.isEmpty();
    }

    public boolean full() {
        return readOnlyTables.isEmpty() && groupRole == null;
    }
}
