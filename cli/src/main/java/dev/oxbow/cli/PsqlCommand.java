package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code oxbow psql <endpoint name>}: mints a database credential and starts psql on the endpoint, like
 * {@code databricks psql}. The host name routes by SNI; hostaddr saves a DNS entry for it.
 */
@Command(name = "psql", mixinStandardHelpOptions = true,
        description = "Connect psql to an endpoint with a freshly minted credential.")
final class PsqlCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Endpoint name, e.g. projects/my-app/branches/production/endpoints/primary")
    String endpoint;

    @Option(names = "--database", defaultValue = "databricks_postgres", description = "Database (default ${DEFAULT-VALUE}).")
    String database;

    @Option(names = "--port", description = "Postgres proxy port (default: the port the server reports).")
    Integer port;

    @Option(names = "--hostaddr", description = "IP address of the proxy (default: the address the server reports, when the endpoint host name does not resolve).")
    String hostaddr;

    @Option(names = "--at", paramLabel = "TIME|LSN", description = "Time travel: a read-only session on the branch as it was at an RFC 3339 "
            + "time (2026-11-30T09:00:00Z) or an LSN (0/16B3748) within the restore window.")
    String at;

    @Parameters(index = "1..*", arity = "0..*", description = "Extra arguments passed to psql.")
    List<String> psqlArgs = new ArrayList<>();

    /** What a past point may contain: RFC 3339 times and LSNs, nothing that could leave the conninfo's quotes. */
    private static final java.util.regex.Pattern POINT = java.util.regex.Pattern.compile("[0-9A-Za-z:.+/-]{1,40}");

    @Override
    public Integer call() throws Exception {
        if (at != null && !POINT.matcher(at).matches()) {
            throw new IllegalArgumentException("--at takes an RFC 3339 time (2026-11-30T09:00:00Z) or an LSN (0/16B3748), got '" + at + "'.");
        }
        CliEnvironment env = CliEnvironment.of(spec);
        ApiTarget api = ApiTarget.of(env);
        JsonNode ep = api.call("GET", "/api/2.0/postgres/" + endpoint, null);
        String state = ep.path("status").path("current_state").asText();
        if ("INIT".equals(state)) {
            spec.commandLine().getErr().println("Endpoint " + endpoint + " is still being created (INIT); try again in a moment.");
            return 1;
        }
        String host = ep.path("status").path("hosts").path("host").asText();
        String user = api.call("GET", "/api/2.0/preview/scim/v2/Me", null).path("userName").asText();
        String token = api.client().postgres().generateDatabaseCredential(endpoint).token();
        // where the proxy really listens: the server may run with another --pg-port or --pg-host
        JsonNode proxy = api.call("GET", "/api/2.0/oxbow/connection-info", null);
        String addr = hostaddr != null ? hostaddr : resolves(host) ? null : proxyAddress(proxy.path("pg_host").asText(""), api);
        int pgPort = port != null ? port : proxy.path("pg_port").asInt(5432);
        Path ca = proxy.hasNonNull("ca_certificate") && Files.isReadable(Path.of(proxy.get("ca_certificate").asText()))
                ? Path.of(proxy.get("ca_certificate").asText())
                : api.home().resolve("tls").resolve("ca.crt");
        StringBuilder conn = new StringBuilder("host=" + host + " port=" + pgPort + " dbname=" + database + " user=" + user);
        if (addr != null) {
            conn.append(" hostaddr=").append(addr);
        }
        conn.append(Files.isReadable(ca) ? " sslmode=verify-full sslrootcert=" + ca : " sslmode=require");
        if (at != null) {
            conn.append(" options='at=").append(at).append("'"); // the host name routes; at= picks the point
        }
        List<String> command = new ArrayList<>(List.of("psql", conn.toString()));
        command.addAll(psqlArgs);
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("PGPASSWORD", token);
        return pb.start().waitFor();
    }

    /** The proxy's listen address, unless it listens on every address: then the API host's. */
    private static String proxyAddress(String listen, ApiTarget api) throws UnknownHostException {
        if (!listen.isEmpty() && !InetAddress.getByName(listen).isAnyLocalAddress()) {
            return InetAddress.getByName(listen).getHostAddress();
        }
        return InetAddress.getByName(api.hostName()).getHostAddress();
    }

    private static boolean resolves(String host) {
        try {
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
