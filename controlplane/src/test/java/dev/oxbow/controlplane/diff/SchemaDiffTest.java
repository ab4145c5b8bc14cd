package dev.oxbow.controlplane.diff;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The DDL script from two lists of schema objects: direction, order, in-place alters, children of dropped objects. */
class SchemaDiffTest {
    private static SchemaObject table(String name) {
        return new SchemaObject(SchemaKind.TABLE, "public." + name, "SCHEMA:public", "t", "CREATE TABLE " + name, "DROP TABLE " + name, null);
    }

    private static SchemaObject column(String table, String name, String type, String dflt, boolean notNull) {
        Map<String, String> parts = new java.util.HashMap<>(Map.of("table", table, "column", name, "type", type, "not_null", Boolean.toString(notNull)));
        if (dflt != null) parts.put("default", dflt);
        return new SchemaObject(SchemaKind.COLUMN, "public." + table + "." + name, "TABLE:public." + table,
                type + dflt + notNull, "ADD " + table + "." + name, "DROP " + table + "." + name, parts);
    }

    private static SchemaObject of(SchemaKind kind, String id, String parent, String def) {
        return new SchemaObject(kind, id, parent, def, "CREATE " + kind + " " + id + " " + def, "DROP " + kind + " " + id, null);
    }

    @Test
    void identicalListsGiveNothing() {
        List<SchemaObject> same = List.of(table("a"), column("a", "x", "int", null, false), of(SchemaKind.INDEX, "public.i", "TABLE:public.a", "d"));
        SchemaDiff d = SchemaDiff.between(same, same);
        assertThat(d.isEmpty()).isTrue();
        assertThat(d.script()).isEmpty();
    }

    @Test
    void dropsComeFirstInReverseOrderThenCreatesInDependencyOrder() {
        List<SchemaObject> against = List.of(table("old"), column("old", "x", "int", null, false),
                of(SchemaKind.INDEX, "public.old_x", "TABLE:public.old", "d"), of(SchemaKind.VIEW, "public.v_old", "SCHEMA:public", "q"),
                of(SchemaKind.ROLE, "gone", null, "NOLOGIN"), of(SchemaKind.MEMBERSHIP, "r to gone", "ROLE:gone", "false"));
        List<SchemaObject> branch = List.of(of(SchemaKind.GRANT, "SELECT on public.new to r", "TABLE:public.new", "false"),
                of(SchemaKind.INDEX, "public.new_x", "TABLE:public.new", "d"), column("new", "x", "int", null, false), table("new"),
                of(SchemaKind.ROLE, "r", null, "NOLOGIN"));
        SchemaDiff d = SchemaDiff.between(branch, against);
        // the dropped table's column and index, and the dropped role's membership, need no statement of their own
        assertThat(d.script()).containsExactly(
                "DROP VIEW public.v_old",
                "DROP TABLE old",
                "DROP ROLE gone",
                "CREATE ROLE r NOLOGIN",
                "CREATE TABLE new",
                "ADD new.x",
                "CREATE INDEX public.new_x d",
                "CREATE GRANT SELECT on public.new to r false");
        assertThat(d.changes()).extracting(c -> c.change() + " " + c.kind() + " " + c.identity() + " " + c.statements().size()).contains(
                "REMOVED COLUMN public.old.x 0", "REMOVED MEMBERSHIP r to gone 0", "ADDED TABLE public.new 1");
    }

    @Test
    void changedColumnsAreAlteredInPlaceAndOthersReplaced() {
        List<SchemaObject> against = List.of(table("t"), column("t", "a", "int", null, false), column("t", "b", "text", "'x'::text", true),
                of(SchemaKind.INDEX, "public.t_a", "TABLE:public.t", "USING btree (a)"),
                new SchemaObject(SchemaKind.FUNCTION, "public.f()", "SCHEMA:public", "v1", "CREATE OR REPLACE FUNCTION f v1", "DROP FUNCTION f", null),
                of(SchemaKind.ROLE, "r", null, "NOLOGIN"));
        List<SchemaObject> branch = List.of(table("t"), column("t", "a", "bigint", null, false), column("t", "b", "text", null, false),
                of(SchemaKind.INDEX, "public.t_a", "TABLE:public.t", "USING hash (a)"),
                new SchemaObject(SchemaKind.FUNCTION, "public.f()", "SCHEMA:public", "v2", "CREATE OR REPLACE FUNCTION f v2", "DROP FUNCTION f", null),
                of(SchemaKind.ROLE, "r", null, "LOGIN"));
        SchemaDiff d = SchemaDiff.between(branch, against);
        assertThat(d.script()).containsExactly(
                "DROP INDEX public.t_a",
                "ALTER ROLE \"r\" LOGIN",
                "ALTER TABLE t ALTER COLUMN \"a\" TYPE bigint",
                "ALTER TABLE t ALTER COLUMN \"b\" DROP DEFAULT",
                "ALTER TABLE t ALTER COLUMN \"b\" DROP NOT NULL",
                "CREATE INDEX public.t_a USING hash (a)",
                "CREATE OR REPLACE FUNCTION f v2");
        assertThat(d.changes()).allMatch(c -> c.change() == SchemaChange.Change.CHANGED);
    }

    @Test
    void identifiersAreQuotedWithTheirQuotesDoubled() {
        assertThat(Ident.quote("a\"; DROP TABLE x; --")).isEqualTo("\"a\"\"; DROP TABLE x; --\"");
        assertThat(Ident.qualified("s", "t")).isEqualTo("\"s\".\"t\"");
    }
}
