package dev.oxbow.compute;

import java.nio.file.Path;
import java.util.Map;

/**
 * The pgbouncer.ini of one endpoint's pooler, rewritten at every start and reload. The pooler listens only on a unix
 * socket in a directory private to the compute's OS user (the proxy, which authenticated the client, is the only one
 * that connects), so it trusts whoever reaches it; it connects to the compute over the compute's own socket as the
 * client's role, which peer authentication admits because pg_ident.conf maps the compute's OS user when a pooler runs
 * (never as Oxbow's superuser: see ServerConfig#hba). PgBouncer still has to know that a role exists: the auth query
 * asks the compute (pg_roles, readable by every role) as {@link RunningPooler#ROLE}.
 */
record PoolerConfig(Path postgresSocketDir, Path poolerDir, String authUser, int maxConnections, boolean preparedStatements) {
    static final String FILE = "pgbouncer.ini";
    static final String AUTH_FILE = "users.txt";
    static final String PID_FILE = "pgbouncer.pid";
    /** Lakebase's and Neon's pooled hosts promise up to 10,000 client connections per endpoint. */
    static final int MAX_CLIENT_CONNECTIONS = 10_000;
    /** Per server connection; statements beyond it are closed on the server least recently used first. */
    static final int MAX_PREPARED_STATEMENTS = 200;
    /** Postgres' default superuser_reserved_connections: slots ordinary roles, and so the pool, never get. */
    static final int RESERVED_CONNECTIONS = 3;
    private static final int DEFAULT_MAX_CONNECTIONS = 100;

    PoolerConfig {
        if (authUser.isEmpty() || !authUser.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("unusable auth user for the pooler: " + authUser);
        }
    }

    static PoolerConfig of(ComputeSpec spec, Path poolerDir, boolean preparedStatements) {
        return new PoolerConfig(spec.socketDir(), poolerDir, RunningPooler.ROLE, maxConnections(spec.settings()), preparedStatements);
    }

    static int maxConnections(Map<String, String> settings) {
        try {
            return Integer.parseInt(settings.getOrDefault("max_connections", Integer.toString(DEFAULT_MAX_CONNECTIONS)).strip());
        } catch (NumberFormatException e) {
            return DEFAULT_MAX_CONNECTIONS;
        }
    }

    /**
     * Server connections per database: nine tenths of what ordinary roles may open, as on Neon, so direct connections
     * (and Oxbow's own sessions) still find a slot while the pool is full.
     */
    int poolSize() {
        return Math.max(1, (maxConnections - RESERVED_CONNECTIONS) * 9 / 10);
    }

    String render() {
        StringBuilder ini = new StringBuilder("; written by Oxbow at every start of the pooler; do not edit\n")
                .append("[databases]\n")
                // every database the client names, on the compute's socket, as the client's own role
                .append("* = host='").append(postgresSocketDir).append("' port=").append(PgConnections.PORT).append('\n')
                .append("\n[pgbouncer]\n")
                .append("listen_addr =\n")
                .append("listen_port = ").append(PgConnections.PORT).append('\n')
                .append("unix_socket_dir = ").append(poolerDir).append('\n')
                .append("unix_socket_mode = 0700\n")
                .append("pidfile = ").append(poolerDir.resolve(PID_FILE)).append('\n')
                .append("auth_type = trust\n")
                .append("auth_file = ").append(poolerDir.resolve(AUTH_FILE)).append('\n')
                .append("auth_user = ").append(authUser).append('\n')
                .append("auth_query = SELECT rolname, NULL::text FROM pg_catalog.pg_roles WHERE rolname = $1 AND rolcanlogin\n")
                .append("pool_mode = transaction\n")
                .append("max_client_conn = ").append(MAX_CLIENT_CONNECTIONS).append('\n')
                .append("default_pool_size = ").append(poolSize()).append('\n')
                .append("max_db_connections = ").append(poolSize()).append('\n')
                .append("reserve_pool_size = 0\n")
                // pgjdbc sends it at startup; it is not a parameter the server reports, so PgBouncer cannot track it
                .append("ignore_startup_parameters = extra_float_digits\n")
                .append("server_idle_timeout = 60\n")
                .append("log_connections = 0\n")
                .append("log_disconnections = 0\n")
                .append("log_pooler_errors = 1\n");
        if (preparedStatements) {
            ini.append("max_prepared_statements = ").append(MAX_PREPARED_STATEMENTS).append('\n');
        }
        return ini.toString();
    }
}
