package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pooler's configuration and version checks, without processes. */
class PoolerConfigTest {
    private static final Path PG = Path.of("/run/oxbow/ep-a");
    private static final Path POOLER = Path.of("/run/oxbow/ep-a-pooler");

    @Test
    void thePoolFollowsMaxConnectionsLeavingRoomForDirectConnections() {
        assertThat(new PoolerConfig(PG, POOLER, "oxbow_admin", 20, true).poolSize()).isEqualTo(15);
        assertThat(new PoolerConfig(PG, POOLER, "oxbow_admin", 104, true).poolSize()).isEqualTo(90);
        assertThat(new PoolerConfig(PG, POOLER, "oxbow_admin", 3, true).poolSize()).as("never empty").isEqualTo(1);
        assertThat(PoolerConfig.maxConnections(Map.of("max_connections", "20"))).isEqualTo(20);
        assertThat(PoolerConfig.maxConnections(Map.of())).isEqualTo(100);
    }

    @Test
    void listensOnlyOnItsPrivateSocketInTransactionModeAndConnectsToTheComputesSocket() {
        String ini = new PoolerConfig(PG, POOLER, "oxbow_admin", 20, true).render();
        assertThat(ini).contains("* = host='/run/oxbow/ep-a' port=5432\n", "listen_addr =\n", "unix_socket_dir = /run/oxbow/ep-a-pooler\n",
                "unix_socket_mode = 0700\n", "pool_mode = transaction\n", "default_pool_size = 15\n", "max_db_connections = 15\n",
                "max_prepared_statements = 200\n", "auth_type = trust\n", "auth_user = oxbow_admin\n");
        assertThat(ini).doesNotContain("admin_users", "stats_users");
    }

    @Test
    void anOlderPgBouncerGetsNoPreparedStatementSetting() {
        assertThat(new PoolerConfig(PG, POOLER, "oxbow_admin", 20, false).render()).doesNotContain("max_prepared_statements");
    }

    @Test
    void anAuthUserThatIsNotAPlainIdentifierIsRefused() {
        assertThatThrownBy(() -> new PoolerConfig(PG, POOLER, "x\nlisten_addr = *", 20, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void versionsFromTwentyOneOnKeepPreparedStatements() {
        Path p = Path.of("/usr/sbin/pgbouncer");
        assertThat(PoolerBinary.parse(p, "PgBouncer 1.18.0\nlibevent 2.1.12-stable").orElseThrow().preparedStatements()).isFalse();
        assertThat(PoolerBinary.parse(p, "PgBouncer 1.21.0").orElseThrow().preparedStatements()).isTrue();
        assertThat(PoolerBinary.parse(p, "PgBouncer 1.24.1\nadns: c-ares").orElseThrow().version()).isEqualTo("1.24");
        assertThat(PoolerBinary.parse(p, "PgBouncer 2.0.0").orElseThrow().preparedStatements()).isTrue();
        assertThat(PoolerBinary.parse(p, "something else")).isEmpty();
    }

    @Test
    void theComputesOwnUserMayBeAnyRoleButOxbowsSuperuserAndTheReplicationRoleOnlyWhenAPoolerRuns() {
        assertThat(ServerConfig.ident("root", "oxbow-1a2b", false)).doesNotContain("pooled");
        assertThat(ServerConfig.ident("root", "oxbow-1a2b", true)).contains("pooled \"oxbow-1a2b\" /^(.*)$\n", "pooled \"root\" /^(.*)$\n",
                "oxbow \"root\" /^(.*)$\n");
        assertThat(ServerConfig.hba(null)).doesNotContain("pooled");
        String hba = ServerConfig.hba("oxbow_admin");
        // the first matching line decides: these two roles only ever reach map oxbow (Oxbow's own user)
        assertThat(hba.indexOf("local all \"oxbow_admin\",\"" + PgConnections.REPLICATION_ROLE + "\" peer map=oxbow\n"))
                .isNotNegative().isLessThan(hba.indexOf("local all all peer map=pooled\n"));
    }
}
