package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.*;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.nio.file.Files;
import java.sql.ResultSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Read replicas: hot standbys streaming from the branch's primary, reached directly or through the read-only host. */
@ExtendWith(SharedServer.class)
class ReplicaTest {
    static TestServer t;
    static WorkspaceClient w;
    static final String PROD = "projects/reads/branches/production";
    static final String PRIMARY = PROD + "/endpoints/primary";
    static final String REPLICA = PROD + "/endpoints/replica-one";

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("reads").setProject(new Project())).waitForCompletion();
    }

    @AfterAll
    static void cleanup() throws Exception {
        w.postgres().deleteProject(new DeleteProjectRequest().setName("projects/reads").setPurge(true)).waitForCompletion();
    }

    @Test
    void replicasFollowThePrimaryAndRefuseWrites() throws Exception {
        Sql.exec(t, PRIMARY, "databricks_postgres", "CREATE TABLE events (id int primary key)");
        Endpoint replica = w.postgres().createEndpoint(new CreateEndpointRequest().setParent(PROD).setEndpointId("replica-one")
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_ONLY)))).waitForCompletion();
        assertThat(replica.getStatus().getEndpointType()).isEqualTo(EndpointType.ENDPOINT_TYPE_READ_ONLY);
        assertThat(replica.getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
        assertThat(Sql.column(t, REPLICA, "postgres", "SELECT pg_is_in_recovery()::text")).containsExactly("true");

        Sql.exec(t, PRIMARY, "databricks_postgres", "INSERT INTO events VALUES (1)");
        long committed = System.nanoTime();
        ReaperTest.awaitTrue(() -> Sql.column(t, REPLICA, "databricks_postgres", "SELECT count(*) FROM events").equals(List.of("1")));
        long visibleMs = (System.nanoTime() - committed) / 1_000_000;
        assertThat(visibleMs).as("replication delay").isLessThan(1000);

        ReaperTest.awaitTrue(() -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(t.http("GET", "/api/2.0/postgres/" + REPLICA, null).body())
                .path("status").path("replication_lag_bytes").asLong(-1) == 0);
        assertThatThrownBy(() -> Sql.exec(t, REPLICA, "databricks_postgres", "INSERT INTO events VALUES (2)"))
                .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("25006"));

        // the primary's read-only host routes to the replica; a credential for the primary is accepted there
        Endpoint primary = w.postgres().getEndpoint(PRIMARY);
        assertThat(primary.getStatus().getHosts().getReadOnlyHost()).isEqualTo(primary.getUid() + "-ro.oxbow.localhost");
        String token = w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(PRIMARY)).getToken();
        try (var c = ProxyClients.jdbc(t, primary.getUid() + "-ro", "admin@oxbow.local", token, "require");
             ResultSet rs = c.createStatement().executeQuery("SELECT pg_is_in_recovery()::text, count(*) FROM events")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("true");
            assertThat(rs.getInt(2)).isEqualTo(1);
        }

        var cp = t.server().controlPlane();
        var record = cp.store().endpoints().get(REPLICA).orElseThrow();
        var project = cp.store().projects().get("projects/reads").orElseThrow();
        var branch = cp.store().branches().get(PROD).orElseThrow();
        var dir = cp.config().layout().replicaDataDir(project, branch, record);
        assertThat(Files.exists(dir)).isTrue();
        w.postgres().deleteEndpoint(REPLICA).waitForCompletion();
        assertThat(Files.exists(dir)).isFalse();
        assertThat(cp.computes().running(record)).isFalse();
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT count(*) FROM events")).containsExactly("1");
    }
}
