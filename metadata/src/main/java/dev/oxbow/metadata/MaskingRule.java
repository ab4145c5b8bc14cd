package dev.oxbow.metadata;

/** One column of one table of one database, and what masking does to it. */
public record MaskingRule(String database, String schema, String table, String column, MaskingAction action) {
    /** {@code database.schema.table.column}, for messages. */
    public String columnRef() {
        return database + "." + schema + "." + table + "." + column;
    }
}
