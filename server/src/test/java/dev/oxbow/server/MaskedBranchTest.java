package dev.oxbow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.controlplane.masking.MaskingSql;
import dev.oxbow.metadata.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Masked branches against real computes: the project's rules, a branch created with {@code spec.masked} whose first
 * connection (through the proxy) sees every action applied and every other column unchanged, tenant code (a trigger,
 * a rewrite rule, a check-constraint function, a FORCE RLS policy, a materialized view, statistics) that neither
 * keeps the old values nor gains rights while masking runs, and the ways back to unmasked data refused.
 */
@ExtendWith(SharedServer.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MaskedBranchTest {
    static TestServer t;
    static final ObjectMapper json = new ObjectMapper();
    static final String P = "projects/mask-it";
    static final String API = "/api/2.0/postgres/";
    static final String RULES = "/api/2.0/oxbow/" + P + "/masking-rules";
    static final String PROD = P + "/branches/production";
    static final String DEV = P + "/branches/dev";
    static final String DB = "databricks_postgres";
    static final Duration WAIT = Duration.ofSeconds(120);
    static final String USER = "admin@oxbow.local";
    static final List<String> EMAILS = List.of("alice@corp.example", "bob@corp.example", "carol@corp.example", "dave@corp.example", "erin@corp.example");
    static JsonNode devStatus;
    static AssertionError devFailure;

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        done(t.http("POST", API + "projects?project_id=mask-it", "{}"));
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < EMAILS.size(); i++) {
            rows.append(i == 0 ? "" : ",").append("(").append(i + 1).append(", '").append(EMAILS.get(i)).append("', 'Name ").append(i + 1)
                    .append("', '123-45-000").append(i).append("', '+1555000").append(i).append("', 'note ").append(i + 1).append("', 'City ")
                    .append(i % 2).append("')");
        }
        Sql.exec(t, PROD + "/endpoints/primary", DB, String.join(";\n",
                "CREATE ROLE app_owner NOLOGIN",
                "CREATE ROLE bystander NOLOGIN",
                "CREATE TABLE bystander_secrets (x text)",
                "ALTER TABLE bystander_secrets OWNER TO bystander",
                "CREATE TABLE users (id int8 PRIMARY KEY, email text, name varchar(40) NOT NULL, ssn varchar(11), phone text, note text, city text)",
                "CREATE TABLE orders (id int PRIMARY KEY, user_id int8 REFERENCES users(id), email text)",
                "CREATE TABLE audit (what text)",
                "CREATE TABLE escalation_log (what text)",
                "INSERT INTO users VALUES " + rows,
                "INSERT INTO orders SELECT id * 10, id, email FROM users",
                "INSERT INTO orders VALUES (99, 1, 'alice@corp.example')",
                "ALTER TABLE users OWNER TO app_owner", "ALTER TABLE orders OWNER TO app_owner",
                "ALTER TABLE audit OWNER TO app_owner", "ALTER TABLE escalation_log OWNER TO app_owner",
                // an ordinary audit trigger (would keep the old values) that also tries to escalate
                "CREATE FUNCTION audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " INSERT INTO public.audit VALUES ('trigger: ' || OLD.email);"
                        + " BEGIN ALTER ROLE app_owner SUPERUSER; EXCEPTION WHEN others THEN NULL; END;"
                        + " RETURN NEW; END $$",
                "CREATE TRIGGER t_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_fn()",
                "CREATE RULE r_audit AS ON UPDATE TO users DO ALSO INSERT INTO audit VALUES ('rule: ' || OLD.email)",
                // code that does run during the UPDATE (a check constraint): it tries to leave the owner's rights
                "CREATE FUNCTION probe(x int8) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN"
                        + " BEGIN RESET ROLE; ALTER ROLE app_owner SUPERUSER; INSERT INTO public.escalation_log VALUES ('alter role succeeded');"
                        + " EXCEPTION WHEN others THEN INSERT INTO public.escalation_log VALUES ('alter role: ' || SQLERRM); END;"
                        + " BEGIN RESET ROLE; SET session_replication_role = origin; INSERT INTO public.escalation_log VALUES ('replication role reset');"
                        + " EXCEPTION WHEN others THEN INSERT INTO public.escalation_log VALUES ('replication role: ' || SQLERRM); END;"
                        + " BEGIN INSERT INTO public.bystander_secrets VALUES ('written');"
                        + " EXCEPTION WHEN others THEN INSERT INTO public.escalation_log VALUES ('bystander: ' || SQLERRM); END;"
                        + " RETURN true; END $$",
                "ALTER TABLE users ADD CONSTRAINT probed CHECK (probe(id)) NOT VALID",
                // the owner sees no row: without lifting FORCE, the masking UPDATE would change nothing
                "ALTER TABLE orders ENABLE ROW LEVEL SECURITY", "ALTER TABLE orders FORCE ROW LEVEL SECURITY",
                "CREATE POLICY hide_from_owner ON orders USING (current_user <> 'app_owner')",
                "CREATE MATERIALIZED VIEW mv_emails AS SELECT email FROM users", "ALTER MATERIALIZED VIEW mv_emails OWNER TO app_owner",
                "ANALYZE users"));
    }

    @AfterAll
    static void cleanup() throws Exception {
        t.http("DELETE", API + P + "?purge=true", null);
    }

    static JsonNode done(HttpResponse<String> started) throws Exception {
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        JsonNode op = t.awaitOperation(json.readTree(started.body()).path("name").asText(), WAIT);
        assertThat(op.has("error")).as(op.toString()).isFalse();
        return op.path("response");
    }

    static String rule(String table, String column, String action) {
        return "{\"database\":\"" + DB + "\",\"schema\":\"public\",\"table\":\"" + table + "\",\"column\":\"" + column + "\",\"action\":\"" + action + "\"}";
    }

    static final String GOOD_RULES = "{\"rules\":[" + String.join(",", rule("users", "id", "hash"), rule("users", "email", "fake_email"),
            rule("users", "name", "redact"), rule("users", "ssn", "null"), rule("users", "phone", "hash"), rule("users", "city", "keep"),
            rule("orders", "user_id", "hash"), rule("orders", "email", "hash")) + "]}";

    /** Sets the rules once, then creates the masked branch the other checks read (in order, once). */
    static synchronized JsonNode dev() throws Exception {
        if (devFailure != null) {
            throw devFailure; // not created again for every test
        }
        if (devStatus == null) {
            devFailure = new AssertionError("the masked branch was not created (see the first failure)");
            HttpResponse<String> set = t.http("PATCH", RULES, GOOD_RULES);
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            assertThat(json.readTree(set.body()).path("rules")).hasSize(8);
            assertThat(set.body()).doesNotContain(key()); // the hash key never leaves the server
            devStatus = done(t.http("POST", API + P + "/branches?branch_id=dev",
                    "{\"spec\":{\"source_branch\":\"" + PROD + "\",\"no_expiry\":true,\"masked\":true}}")).path("status");
            devFailure = null;
        }
        return devStatus;
    }

    static String key() {
        return t.server().controlPlane().store().maskingPolicies().get(P + "/masking-rules").orElseThrow().keyHex();
    }

    static String hmac(String value) {
        return MaskingSql.hmacHex(HexFormat.of().parseHex(key()), value);
    }

    static long hashInt8(String value) {
        return Long.parseUnsignedLong(hmac(value).substring(0, 16), 16);
    }

    /** A first connection through the proxy, as the project's owner (Lakebase's OAuth login). */
    static Connection viaProxy(String branch) throws Exception {
        Endpoint e = t.server().controlPlane().store().endpoints().get(branch + "/endpoints/primary").orElseThrow();
        HttpResponse<String> cred = t.http("POST", API + "credentials", "{\"endpoint\":\"" + e.name() + "\"}");
        assertThat(cred.statusCode()).as(cred.body()).isEqualTo(200);
        return ProxyClients.jdbc(t, e.uid(), USER, json.readTree(cred.body()).path("token").asText(), "require");
    }

    static List<List<String>> rows(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<List<String>> out = new ArrayList<>();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(rs.getString(i));
                }
                out.add(row);
            }
            return out;
        }
    }

    @Test
    @Order(1)
    void invalidRulesAreRefusedNamingTheFieldAndNothingChanges() throws Exception {
        dev();
        String before = t.http("GET", RULES, null).body();
        for (String[] bad : new String[][] {
                {"{\"rules\":[" + rule("users", "email", "hash") + "," + rule("users", "name", "scramble") + "]}", "rules[1].action"},
                {"{\"rules\":[" + rule("users", "x".repeat(64), "hash") + "]}", "rules[0].column"},
                {"{\"rules\":[" + rule("", "email", "hash") + "]}", "rules[0].table"},
                {"{\"rules\":[" + rule("users", "email", "hash") + "," + rule("users", "email", "null") + "]}", "rules[1].column"},
                {"{\"rules\":[{\"database\":1,\"table\":\"users\",\"column\":\"email\",\"action\":\"hash\"}]}", "rules[0].database"},
                {"{\"rules\":\"all\"}", "rules"}}) {
            HttpResponse<String> r = t.http("PATCH", RULES, bad[0]);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(json.readTree(r.body()).path("error_code").asText()).isEqualTo("INVALID_PARAMETER_VALUE");
            assertThat(r.body()).contains(bad[1]);
        }
        String stranger = t.userWithToken("mask-stranger@example.com");
        assertThat(t.http("PATCH", RULES, "{\"rules\":[]}", stranger).statusCode()).isIn(403, 404);
        assertThat(t.http("GET", RULES, null).body()).isEqualTo(before);
    }

    @Test
    @Order(2)
    void theFirstConnectionSeesEveryActionAppliedAndOtherColumnsUnchanged() throws Exception {
        JsonNode status = dev();
        assertThat(status.path("masked").asBoolean()).isTrue();
        assertThat(status.path("masked_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
        try (Connection c = viaProxy(DEV)) {
            List<List<String>> users = rows(c, "SELECT id, email, name, ssn, phone, note, city FROM users ORDER BY note");
            assertThat(users).hasSize(EMAILS.size());
            for (int i = 0; i < EMAILS.size(); i++) {
                List<String> u = users.get(i);
                assertThat(Long.parseLong(u.get(0))).isEqualTo(hashInt8(Integer.toString(i + 1)));
                assertThat(u.get(1)).isEqualTo("user_" + hmac(EMAILS.get(i)).substring(0, 16) + "@example.invalid");
                assertThat(u.get(2)).isEqualTo("REDACTED");
                assertThat(u.get(3)).isNull();
                assertThat(u.get(4)).isEqualTo(hmac("+1555000" + i));
                assertThat(u.get(5)).isEqualTo("note " + (i + 1)); // no rule: unchanged
                assertThat(u.get(6)).isEqualTo("City " + (i % 2)); // keep
            }
            // the same key everywhere: hashed foreign keys still join, hashed e-mails still match (in orders, whose FORCE RLS hid every row from its owner)
            assertThat(rows(c, "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id").get(0).get(0)).isEqualTo("6");
            assertThat(rows(c, "SELECT count(*) FROM orders WHERE email = '" + hmac("alice@corp.example") + "'").get(0).get(0)).isEqualTo("2");
            // copies of the data the rules do not name directly: a materialized view, and the planner's statistics
            assertThat(rows(c, "SELECT email FROM mv_emails").stream().map(r -> r.get(0))).hasSize(EMAILS.size()).allMatch(e -> e.endsWith("@example.invalid"));
            assertThat(rows(c, "SELECT coalesce(histogram_bounds::text, '') || coalesce(most_common_vals::text, '') FROM pg_stats"
                    + " WHERE tablename = 'users' AND attname = 'email'").toString()).doesNotContain("corp.example").contains("example.invalid");
        }
        // production is untouched
        assertThat(Sql.column(t, PROD + "/endpoints/primary", DB, "SELECT email FROM users ORDER BY id")).isEqualTo(EMAILS);
    }

    @Test
    @Order(3)
    void tenantCodeNeitherKeepsOldValuesNorGainsRightsWhileMasking() throws Exception {
        dev();
        String ep = DEV + "/endpoints/primary";
        // the audit trigger and the DO ALSO rule were off during masking, and are back on as they were
        assertThat(Sql.column(t, ep, DB, "SELECT what FROM audit")).isEmpty();
        assertThat(Sql.column(t, ep, DB, "SELECT tgenabled::text FROM pg_trigger WHERE tgname = 't_audit'")).containsExactly("O");
        assertThat(Sql.column(t, ep, DB, "SELECT ev_enabled::text FROM pg_rewrite WHERE rulename = 'r_audit'")).containsExactly("O");
        assertThat(Sql.column(t, ep, DB, "SELECT relforcerowsecurity::text FROM pg_class WHERE relname = 'orders'")).containsExactly("true");
        // the check-constraint function ran once per row; RESET ROLE left it an unprivileged role, so both attempts failed
        List<String> log = Sql.column(t, ep, DB, "SELECT what FROM escalation_log");
        assertThat(log).hasSize(3 * EMAILS.size()).noneMatch(w -> w.contains("succeeded") || w.contains("reset"));
        assertThat(log).anyMatch(w -> w.startsWith("alter role: permission denied")).anyMatch(w -> w.startsWith("bystander: permission denied"))
                .anyMatch(w -> w.startsWith("replication role: permission denied"));
        assertThat(Sql.column(t, ep, DB, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'app_owner'")).containsExactly("false");
        assertThat(Sql.column(t, ep, DB, "SELECT x FROM bystander_secrets")).isEmpty();
        assertThat(Sql.column(t, ep, DB, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'oxbow_masker%'")).isEmpty();
        // no WAL segment from before masking is left in the data directory (they held the old rows' page images)
        String maskedSegment = Sql.column(t, ep, DB, "SELECT substr(pg_walfile_name('" + dev().path("masked_lsn").asText() + "'), 9)").get(0);
        assertThat(Sql.column(t, ep, DB, "SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' AND substr(name, 9) < '"
                + maskedSegment + "'")).isEmpty();
    }

    @Test
    @Order(4)
    void noWayBackToUnmaskedData() throws Exception {
        JsonNode status = dev();
        Instant maskedTime = Instant.parse(status.path("masked_time").asText());
        String beforeMask = maskedTime.minusMillis(200).toString();
        HttpResponse<String> reset = t.http("POST", API + DEV + ":reset", "{}");
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(400);
        assertThat(reset.body()).contains("unmasked");
        HttpResponse<String> restore = t.http("POST", API + DEV + ":restore", "{\"source_branch_time\":\"" + beforeMask + "\"}");
        assertThat(restore.statusCode()).as(restore.body()).isEqualTo(400);
        assertThat(restore.body()).contains("before " + DEV + " was masked");
        HttpResponse<String> restoreLsn = t.http("POST", API + DEV + ":restore", "{\"source_branch_lsn\":\"" + status.path("source_branch_lsn").asText() + "\"}");
        assertThat(restoreLsn.statusCode()).as(restoreLsn.body()).isEqualTo(400);
        HttpResponse<String> past = t.http("POST", API + P + "/branches?branch_id=dev-past",
                "{\"spec\":{\"source_branch\":\"" + DEV + "\",\"no_expiry\":true,\"source_branch_time\":\"" + beforeMask + "\"}}");
        assertThat(past.statusCode()).as(past.body()).isEqualTo(400);
        assertThat(past.body()).contains("was masked");
        HttpResponse<String> unmaskedChild = t.http("POST", API + P + "/branches?branch_id=dev-plain",
                "{\"spec\":{\"source_branch\":\"" + DEV + "\",\"no_expiry\":true,\"masked\":false}}");
        assertThat(unmaskedChild.statusCode()).as(unmaskedChild.body()).isEqualTo(400);
        assertThat(unmaskedChild.body()).contains("spec.masked");
        assertThat(t.http("GET", API + P + "/branches/dev-past", null).statusCode()).isEqualTo(404);
        // time travel in the connection string reads history through the same check
        Endpoint e = t.server().controlPlane().store().endpoints().get(DEV + "/endpoints/primary").orElseThrow();
        HttpResponse<String> cred = t.http("POST", API + "credentials", "{\"endpoint\":\"" + e.name() + "\"}");
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", USER);
        props.setProperty("password", json.readTree(cred.body()).path("token").asText());
        props.setProperty("sslmode", "require");
        props.setProperty("options", "endpoint=" + e.uid() + " at=" + beforeMask);
        props.setProperty("connectTimeout", "60");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> java.sql.DriverManager.getConnection(
                        "jdbc:postgresql://localhost:" + t.server().pgPort() + "/" + DB, props).close())
                .isInstanceOf(java.sql.SQLException.class).hasMessageContaining("was masked");
        HttpResponse<String> unmask = t.http("PATCH", API + DEV + "?update_mask=spec.is_protected", "{\"spec\":{\"is_protected\":false,\"masked\":false}}");
        assertThat(unmask.statusCode()).as(unmask.body()).isEqualTo(400);
        assertThat(unmask.body()).contains("spec.masked");
    }

    @Test
    @Order(5)
    void aChildOfAMaskedBranchIsMaskedAndKeepsItsParentsMaskPoint() throws Exception {
        JsonNode status = dev();
        JsonNode child = done(t.http("POST", API + P + "/branches?branch_id=dev-child",
                "{\"spec\":{\"source_branch\":\"" + DEV + "\",\"no_expiry\":true}}")).path("status");
        assertThat(child.path("masked").asBoolean()).isTrue();
        assertThat(child.path("masked_lsn").asText()).isEqualTo(status.path("masked_lsn").asText());
        assertThat(Sql.column(t, P + "/branches/dev-child/endpoints/primary", DB, "SELECT email FROM users"))
                .allMatch(e -> e.endsWith("@example.invalid"));
        // its history reaches back into its parent's, but not past the parent's masking
        HttpResponse<String> past = t.http("POST", API + P + "/branches/dev-child:restore",
                "{\"source_branch_time\":\"" + Instant.parse(status.path("masked_time").asText()).minusMillis(200) + "\"}");
        assertThat(past.statusCode()).as(past.body()).isEqualTo(400);
        assertThat(past.body()).contains("was masked");
    }

    @Test
    @Order(6)
    void rulesTheBranchCannotTakeFailTheCreateAsInvalidStateAndLeaveNoBranch() throws Exception {
        String other = "projects/mask-misfit";
        done(t.http("POST", API + "projects?project_id=mask-misfit", "{}"));
        try {
            HttpResponse<String> set = t.http("PATCH", "/api/2.0/oxbow/" + other + "/masking-rules", "{\"rules\":[" + rule("no_such_table", "email", "hash") + "]}");
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            HttpResponse<String> started = t.http("POST", API + other + "/branches?branch_id=misfit",
                    "{\"spec\":{\"source_branch\":\"" + other + "/branches/production\",\"no_expiry\":true,\"masked\":true}}");
            assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
            JsonNode op = t.awaitOperation(json.readTree(started.body()).path("name").asText(), WAIT);
            assertThat(op.at("/error/error_code").asText()).as(op.toString()).isEqualTo("INVALID_STATE");
            assertThat(op.at("/error/message").asText()).contains("public.no_such_table").contains("does not exist on the branch")
                    .contains("masking-rules");
            assertThat(t.http("GET", API + other + "/branches/misfit", null).statusCode()).isEqualTo(404);
        } finally {
            t.http("DELETE", API + other + "?purge=true", null);
        }
    }
}
