package dev.oxbow.controlplane.diff;

import java.util.List;
import java.util.Map;

/**
 * What differs between a branch and the branch it is compared against, in one database: the schema as DDL that, run
 * on {@code against}, makes it match {@code branch}; and per table with a primary key the rows {@code branch} added,
 * removed and changed relative to {@code against}, with a page of examples. Examples are row data, read past every
 * grant and row policy, so only callers who could read every row anyway (CAN_MANAGE) get them; CAN_USE callers get
 * the counts ({@code examplesWithheld}).
 */
public record BranchDiff(String branch, String against, String database, boolean schemaOnly, SchemaDiff schema,
                         List<TableDiff> tables, List<NotComparable> notComparable, int tablesCompared, boolean examplesWithheld,
                         Stats stats) {
    public BranchDiff {
        tables = List.copyOf(tables);
        notComparable = List.copyOf(notComparable);
    }

    public boolean isEmpty() {
        return schema.isEmpty() && tables.isEmpty();
    }

    /** A table whose rows differ; examples carry the key and the row on each side that has it (JSON text). */
    public record TableDiff(String table, List<String> keyColumns, long rowsAdded, long rowsRemoved, long rowsChanged,
                            List<Example> examples) {
        public TableDiff {
            keyColumns = List.copyOf(keyColumns);
            examples = List.copyOf(examples);
        }
    }

    public record Example(RowChanges.Kind change, Map<String, String> key, String branchRow, String againstRow) {
        public Example {
            key = Map.copyOf(key);
        }
    }

    /** A table on both branches the diff could not compare row by row, and why (no primary key, different keys). */
    public record NotComparable(String table, String reason) {}

    /**
     * The cost: queries asked of both computes, rows and bytes of values they returned, the compared tables' size on
     * disk on the branch (what copying them would have moved), and the wall time.
     */
    public record Stats(long queries, long rowsReturned, long bytesReturned, long comparedTableBytes, int rangesCompared,
                        int rangesFetched, long millis) {}
}
