package dev.oxbow.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.oxbow.proxy.ClientSessionTest.assertRefused;
import static dev.oxbow.proxy.ClientSessionTest.computeStartup;
import static dev.oxbow.proxy.ProxyHarness.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

/** Time-travel sessions in the proxy: the login is the endpoint's own, then the past server's socket; refusals keep their SQLSTATE. */
class ClientSessionAtTest {
    static final String UID = "ep-alpha-1";
    static final String NAME = "projects/alpha/branches/main/endpoints/primary";

    ProxyHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new ProxyHarness();
        h.backend.endpoints.put(UID, new ProxyBackend.EndpointTarget(UID, NAME, "main", false, false));
        h.backend.endpoints.put(UID + "-pooler", new ProxyBackend.EndpointTarget(UID, NAME, "main", false, false).throughPooler());
        h.backend.roles.put("alice", new ProxyBackend.RoleLogin(ProxyBackend.RoleLogin.OAUTH, null));
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void anLsnInTheOptionsRunsTheSessionOnThePastServerAndReleasesItAtTheEnd() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice", "database", "app", "options", "endpoint=" + UID + " at=0/16b3748 -c work_mem=8MB"));
        c.messages();
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.backend.pastRequested).containsExactly(new PastPoint("0/16B3748", null));
        assertThat(h.backend.acquired).as("the live compute is not woken").isZero();
        assertThat(h.computes.socketDirs).containsExactly(Path.of("/computes/past"));
        var compute = h.computes.last();
        assertThat(computeStartup(compute)).containsEntry("options", "-c work_mem=8MB").containsEntry("user", "alice");
        compute.close();
        assertThat(c.isOpen()).isFalse();
        assertThat(h.backend.pastReleased).isEqualTo(1);
        assertThat(h.backend.released).isZero();
    }

    @Test
    void theHostNameFormGivesThePointInUnixSeconds() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(UID + "--at-1764493200." + DOMAIN);
        c.sendStartup(Map.of("user", "alice"));
        c.messages();
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.backend.resolved).containsExactly(UID);
        assertThat(h.backend.pastRequested).containsExactly(new PastPoint(null, Instant.ofEpochSecond(1764493200)));
    }

    @Test
    void theControlPlanesRefusalReachesTheClientWithItsSqlState() throws Exception {
        h.backend.past = CompletableFuture.failedFuture(new ProxyBackend.Refused("22023",
                "Field at (2025-01-01T00:00:00Z) is outside the project's restore window: history_retention_duration is 604800s"));
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice", "options", "endpoint=" + UID + " at=2025-01-01T00:00:00Z"));
        c.messages();
        c.sendPassword(h.token("alice", NAME, UID));
        assertRefused(c, "22023", "history_retention_duration");
    }

    @Test
    void aPointIsCheckedOnlyAfterTheLoginAndAWrongCredentialStartsNothing() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice", "options", "endpoint=" + UID + " at=0/1"));
        c.messages();
        c.sendPassword(h.token("alice", "projects/beta/branches/main/endpoints/primary", "ep-beta-2"));
        assertRefused(c, "28000", "not " + UID);
        assertThat(h.backend.pastRequested).isEmpty();
    }

    @Test
    void malformedPointsAndPooledHostsAreRefused() throws Exception {
        var bad = h.connect("10.0.0.1");
        bad.startTls(null);
        bad.sendStartup(Map.of("user", "alice", "options", "endpoint=" + UID + " at=last-tuesday"));
        assertRefused(bad, "22023", "malformed past point");
        assertThat(h.backend.resolved).isEmpty();

        var pooled = h.connect("10.0.0.1");
        pooled.startTls(null);
        pooled.sendStartup(Map.of("user", "alice", "options", "endpoint=" + UID + "-pooler at=0/1"));
        pooled.messages();
        pooled.sendPassword(h.token("alice", NAME, UID));
        assertRefused(pooled, "0A000", "pooled host");
        assertThat(h.backend.pastRequested).isEmpty();
    }
}
