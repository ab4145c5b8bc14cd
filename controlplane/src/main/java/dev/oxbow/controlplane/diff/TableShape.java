package dev.oxbow.controlplane.diff;

import java.util.List;

/**
 * A table as the data diff reads it on both branches: its primary key's columns and the columns both branches have;
 * a plain table is read without its inheritance children ({@code ONLY}), a partitioned one with its partitions.
 */
public record TableShape(String schema, String table, boolean partitioned, List<String> keyColumns, List<String> comparedColumns) {
    public TableShape {
        keyColumns = List.copyOf(keyColumns);
        comparedColumns = List.copyOf(comparedColumns);
    }

    public String displayName() {
        return schema + "." + table;
    }
}
