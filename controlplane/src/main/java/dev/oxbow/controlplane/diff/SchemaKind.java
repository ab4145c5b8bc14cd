package dev.oxbow.controlplane.diff;

/**
 * The kinds of schema object the diff compares, in the order their CREATE statements run (what an object needs comes
 * before it: roles before grants, sequences before the column defaults that use them); DROPs run in reverse.
 */
public enum SchemaKind {
    ROLE, MEMBERSHIP, SCHEMA, SEQUENCE, TABLE, COLUMN, CONSTRAINT, FOREIGN_KEY, INDEX, FUNCTION, VIEW, GRANT
}
