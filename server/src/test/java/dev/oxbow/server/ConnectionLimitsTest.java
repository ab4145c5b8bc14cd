package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Idle connections close after the idle timeout, and every connection after the maximum lifetime (both configurable). */
class ConnectionLimitsTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    @Test
    void idleAndLifetimeLimitsCloseConnections() throws Exception {
        var config = TestServer.config(homes.newHome("limits")).withTimers(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(3));
        try (TestServer t = TestServer.start(config)) {
            var w = t.sdk();
            w.postgres().createProject(new CreateProjectRequest().setProjectId("limits").setProject(new Project())).waitForCompletion();
            String ep = "projects/limits/branches/production/endpoints/primary";
            String uid = w.postgres().getEndpoint(ep).getUid();
            String token = w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)).getToken();

            Connection idle = ProxyClients.jdbc(t, uid, "admin@oxbow.local", token, "require");
            Thread.sleep(1500);
            assertThat(idle.isValid(2)).as("closed after 1 s without traffic").isFalse();

            Connection busy = ProxyClients.jdbc(t, uid, "admin@oxbow.local", token, "require");
            long start = System.nanoTime();
            boolean alive = true;
            while (alive && System.nanoTime() - start < Duration.ofSeconds(8).toNanos()) {
                Thread.sleep(300);
                alive = busy.isValid(2);
            }
            long livedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(alive).as("closed at the 3 s lifetime although it kept talking").isFalse();
            assertThat(livedMs).isBetween(2000L, 6000L);
        }
    }
}
