package dev.oxbow.controlplane.diff;

import java.util.List;

/** One object that differs: ADDED (only on the branch), REMOVED (only on against) or CHANGED, with the DDL that does it. */
public record SchemaChange(SchemaKind kind, String identity, Change change, List<String> statements) {
    public enum Change { ADDED, REMOVED, CHANGED }

    public SchemaChange {
        statements = List.copyOf(statements);
    }
}
