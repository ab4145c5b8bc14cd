package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The text form of a branch diff: a runnable DDL script, then per table its counts and example rows, as SQL comments. */
class DiffCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void textIsTheScriptThenTheRowsAsComments() throws Exception {
        String text = DiffCommands.text(JSON.readTree("""
                {"branch":"projects/a/branches/dev","against":"projects/a/branches/production","database":"databricks_postgres",
                 "identical":false,"schema_only":false,
                 "schema":{"statements":["ALTER TABLE \\"public\\".\\"items\\" ADD COLUMN \\"price\\" numeric"],"changes":[{}]},
                 "data":{"tables_compared":2,"tables":[{"table":"public.items","rows_added":1,"rows_removed":0,"rows_changed":1,
                   "examples":[{"change":"ADDED","key":{"id":"9"},"branch_row":{"id":9},"against_row":null},
                               {"change":"CHANGED","key":{"id":"4"},"branch_row":{"id":4,"n":"b"},"against_row":{"id":4,"n":"a"}}]}],
                   "not_comparable":[{"table":"public.log","reason":"no primary key"}]},
                 "stats":{"queries":30,"bytes_returned":2048,"compared_table_bytes":65536,"elapsed_ms":12}}
                """));
        assertThat(text).isEqualTo("""
                -- projects/a/branches/dev compared with projects/a/branches/production, database databricks_postgres
                -- schema: run on projects/a/branches/production to match projects/a/branches/dev
                ALTER TABLE "public"."items" ADD COLUMN "price" numeric;
                -- rows: 2 tables compared, 1 differ
                --   public.items: +1 -0 ~1
                --     + {"id":"9"} {"id":9}
                --     ~ {"id":"4"} {"id":4,"n":"b"}
                --   public.log: not compared (no primary key)
                -- 30 queries, 2048 bytes returned for 65536 bytes of tables, 12 ms
                """);
    }

    @Test
    void identicalSchemasOnly() throws Exception {
        String text = DiffCommands.text(JSON.readTree("""
                {"branch":"b","against":"a","database":"d","identical":true,"schema_only":true,"schema":{"statements":[],"changes":[]},
                 "stats":{"queries":20,"bytes_returned":100,"compared_table_bytes":0,"elapsed_ms":3}}
                """));
        assertThat(text).contains("-- identical schemas\n").contains("-- schema: no differences\n").doesNotContain("-- rows:");
    }
}
