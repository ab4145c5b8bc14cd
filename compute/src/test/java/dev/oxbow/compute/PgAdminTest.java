package dev.oxbow.compute;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static dev.oxbow.compute.LocalComputeRuntimeTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgAdminTest {
    private static final String EMAIL = "user@example.com";
    private static Path root;
    private static LocalComputeRuntime runtime;
    private static ComputeSpec spec;

    @BeforeAll
    static void startServer() throws Exception {
        root = TestPostgres.scratchDir();
        runtime = new LocalComputeRuntime(TestPostgres.binaries(), TestPostgres.identity());
        spec = TestPostgres.spec("ep-admin", 17, root, "adm");
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        runtime.start(spec);
    }

    @AfterAll
    static void stopServer() throws Exception {
        runtime.close();
        TestPostgres.deleteTree(root);
    }

    private static Connection connect(String db) throws SQLException {
        return PgConnections.open(spec.socketDir(), db, TestPostgres.SUPERUSER);
    }

    @Test
    void managesRolesWithAwkwardNames() throws Exception {
        try (Connection c = connect("postgres")) {
            PgAdmin admin = new PgAdmin(c);
            admin.createRole(PgAdmin.LAKEBASE_SUPERUSER_ROLE, false, true, true, true, List.of(), null);
            exec(c, "ALTER ROLE " + PgAdmin.ident(PgAdmin.LAKEBASE_SUPERUSER_ROLE) + " PASSWORD 'secret'");
            String verifier = query(c, "SELECT rolpassword FROM pg_authid WHERE rolname = 'databricks_superuser'");
            assertThat(verifier).startsWith("SCRAM-SHA-256$");

            for (int i = 0; i < 2; i++) { // repeated after a crash: converges, no error
                admin.createRole(EMAIL, true, true, false, false, List.of(PgAdmin.LAKEBASE_SUPERUSER_ROLE), verifier);
            }
            assertThat(admin.roleExists(EMAIL)).isTrue();
            assertThat(admin.memberships(EMAIL)).containsExactly(PgAdmin.LAKEBASE_SUPERUSER_ROLE);
            assertThat(query(c, "SELECT rolcanlogin::text || rolcreatedb::text || rolcreaterole::text FROM pg_roles WHERE rolname = '" + EMAIL + "'"))
                    .isEqualTo("truetruefalse");
            assertThat(query(c, "SELECT rolpassword FROM pg_authid WHERE rolname = '" + EMAIL + "'")).isEqualTo(verifier);

            admin.createRole("analysts", false, false, false, false, List.of(), null);
            admin.grantMembership("analysts", EMAIL);
            admin.alterRole(EMAIL, false, false, true, true, List.of(), null);
            assertThat(admin.memberships(EMAIL)).as("only the API-managed membership is revoked").containsExactly("analysts");
            assertThat(query(c, "SELECT rolpassword FROM pg_authid WHERE rolname = '" + EMAIL + "'")).as("null keeps the password").isEqualTo(verifier);
            admin.revokeMembership("analysts", EMAIL);
            assertThat(admin.memberships(EMAIL)).isEmpty();

            String quoted = "we\"ird; DROP ROLE x --";
            admin.createRole(quoted, true, false, false, false, List.of("analysts"), null);
            assertThat(admin.roleExists(quoted)).isTrue();
            admin.dropRole(quoted, null);
            assertThat(admin.roleExists(quoted)).isFalse();

            assertThatThrownBy(() -> admin.createRole("r".repeat(64), true, false, false, false, List.of(), null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("63 bytes");
            assertThatThrownBy(() -> admin.createRole("plain", true, false, false, false, List.of(), "hunter2"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SCRAM");
        }
    }

    @Test
    void dropRoleReassignsInEveryDatabase() throws Exception {
        try (Connection c = connect("postgres")) {
            PgAdmin admin = new PgAdmin(c);
            admin.createRole("heir", false, false, false, false, List.of(), null);
            admin.createRole("leaver@example.com", true, false, false, false, List.of(), null);
            admin.createDatabase("leaver_db", "leaver@example.com");
            try (Connection other = connect("leaver_db")) {
                exec(other, "SET ROLE \"leaver@example.com\"");
                exec(other, "CREATE TABLE t (id int)");
            }
            exec(c, "GRANT CONNECT ON DATABASE postgres TO \"leaver@example.com\"");

            admin.dropRole("leaver@example.com", "heir");
            admin.dropRole("leaver@example.com", "heir");
            assertThat(admin.roleExists("leaver@example.com")).isFalse();
            assertThat(query(c, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'leaver_db'")).isEqualTo("heir");
            try (Connection other = connect("leaver_db")) {
                assertThat(query(other, "SELECT tableowner FROM pg_tables WHERE tablename = 't'")).isEqualTo("heir");
            }
        }
    }

    @Test
    void managesDatabasesWhileClientsAreConnected() throws Exception {
        try (Connection c = connect("postgres")) {
            PgAdmin admin = new PgAdmin(c);
            admin.createRole("owner1", false, false, false, false, List.of(), null);
            admin.createRole("owner2", false, false, false, false, List.of(), null);
            admin.createDatabase("my db", "owner1");
            admin.createDatabase("my db", "owner2"); // repeat with a new owner converges
            assertThat(query(c, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'my db'")).isEqualTo("owner2");

            Connection client = connect("my db");
            admin.renameDatabase("my db", "renamed-db");
            admin.renameDatabase("my db", "renamed-db");
            assertThat(admin.databaseExists("my db")).isFalse();
            assertThat(admin.databaseExists("renamed-db")).isTrue();
            assertThat(client.isValid(1)).isFalse();

            admin.alterDatabaseOwner("renamed-db", "owner1");
            Connection another = connect("renamed-db");
            admin.dropDatabase("renamed-db");
            admin.dropDatabase("renamed-db");
            assertThat(admin.databaseExists("renamed-db")).isFalse();
            assertThat(another.isValid(1)).isFalse();

            assertThat(admin.currentLsn()).matches("[0-9A-F]+/[0-9A-F]+");
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
