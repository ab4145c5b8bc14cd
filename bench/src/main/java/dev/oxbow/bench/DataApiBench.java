package dev.oxbow.bench;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Data API figures in one run: GET of one row by key and of 100 rows with a filter, through the Data API (HTTP/1.1,
 * one keep-alive client per thread, PAT) vs. the same query over a pooled pgjdbc connection through the proxy (one open
 * connection per thread, prepared statement, rows read and rendered as JSON text). Requests/s and p99 per case.
 * Usage: {@code DataApiBench [seconds] [threads]}.
 */
public final class DataApiBench {
    private static final String USER = "admin@oxbow.local";
    private static final int ROWS = 10_000;
    private static final int PER_CATEGORY = 100;

    private interface Call {
        void run(int key) throws Exception;
    }

    private interface Client extends AutoCloseable {
        Call call();

        @Override
        default void close() throws Exception {}
    }

    private interface ClientFactory {
        Client open() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-dataapibench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=bench", "{}");
            String epName = "projects/bench/branches/production/endpoints/primary";
            String db = "projects/bench/branches/production/databases/databricks-postgres";
            var cp = server.controlPlane();
            Path socketDir = cp.config().layout().socketDir(cp.store().endpoints().get(epName).orElseThrow());
            try (Connection c = PgConnections.openForOxbow(socketDir, "databricks_postgres", Defaults.SYSTEM_ROLE)) {
                c.createStatement().execute("CREATE TABLE public.items (id int PRIMARY KEY, category int NOT NULL, name text NOT NULL, price numeric(10,2));"
                        + "INSERT INTO public.items SELECT i, i % " + (ROWS / PER_CATEGORY) + ", 'item ' || i, i / 10.0 FROM generate_series(1, " + ROWS + ") i;"
                        + "CREATE INDEX ON public.items (category); ANALYZE public.items; GRANT SELECT ON public.items TO \"" + USER + "\"");
            }
            String url = api.await("POST", "/api/2.0/postgres/" + db + "/data-api", "{\"spec\":{\"server_timing_enabled\":true}}").path("response").path("status").path("url").asText();
            String uid = api.json("GET", "/api/2.0/postgres/" + epName, null).path("uid").asText();
            String cred = api.json("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + epName + "\"}").path("token").asText();
            String token = server.adminToken();

            List<String> lines = new ArrayList<>();
            List<Double> serverMs = Collections.synchronizedList(new ArrayList<>());
            for (boolean many : new boolean[]{false, true}) {
                String what = many ? "100 rows, category=eq.N" : "one row by key, id=eq.N";
                ClientFactory rest = () -> {
                    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                    return () -> key -> {
                        String q = many ? "items?select=id,name,price&category=eq." + (key % (ROWS / PER_CATEGORY)) : "items?select=id,name,price&id=eq." + key;
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url + q)).header("Authorization", "Bearer " + token).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException(r.statusCode() + " " + r.body());
                        }
                        r.headers().firstValue("Server-Timing").ifPresent(v -> serverMs.add(Double.parseDouble(v.substring(v.indexOf("dur=") + 4))));
                    };
                };
                ClientFactory jdbc = () -> {
                    Properties p = new Properties();
                    p.setProperty("user", USER);
                    p.setProperty("password", cred);
                    p.setProperty("sslmode", "require");
                    p.setProperty("options", "endpoint=" + uid);
                    Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.pgPort() + "/databricks_postgres", p);
                    PreparedStatement ps = c.prepareStatement("SELECT id, name, price FROM items WHERE " + (many ? "category" : "id") + " = ?");
                    return new Client() {
                        public Call call() {
                            return key -> {
                                ps.setInt(1, many ? key % (ROWS / PER_CATEGORY) : key);
                                StringBuilder json = new StringBuilder("[");
                                try (ResultSet rs = ps.executeQuery()) {
                                    while (rs.next()) {
                                        json.append("{\"id\":").append(rs.getInt(1)).append(",\"name\":\"").append(rs.getString(2))
                                                .append("\",\"price\":").append(rs.getBigDecimal(3)).append("},");
                                    }
                                }
                                json.append(']');
                            };
                        }

                        public void close() throws Exception {
                            c.close();
                        }
                    };
                };
                measure(rest, threads, 2); // warm-up: JIT, pools, schema cache
                serverMs.clear();
                Result viaApi = measure(rest, threads, seconds);
                double serverMean;
                synchronized (serverMs) {
                    serverMean = serverMs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
                }
                measure(jdbc, threads, 2);
                Result viaJdbc = measure(jdbc, threads, seconds);
                lines.add(String.format("%s, %d threads, %d s: Data API %.0f req/s p99 %.1f ms (server side mean %.2f ms); pgjdbc (pooled, proxy) %.0f q/s p99 %.1f ms; ratio %.2f",
                        what, threads, seconds, viaApi.perSecond, viaApi.p99, serverMean, viaJdbc.perSecond, viaJdbc.p99, viaApi.perSecond / viaJdbc.perSecond));
            }
            lines.forEach(System.out::println);
        }
    }

    private record Result(double perSecond, double p99) {}

    private static Result measure(ClientFactory factory, int threads, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<List<Double>> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Thread> workers = new ArrayList<>();
        List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                List<Double> mine = new ArrayList<>();
                try (Client client = factory.open()) {
                    Call call = client.call();
                    do { // at least one call each, however slow the machine
                        int key = ThreadLocalRandom.current().nextInt(1, ROWS + 1);
                        long t0 = System.nanoTime();
                        call.run(key);
                        mine.add((System.nanoTime() - t0) / 1e6);
                    } while (System.nanoTime() < end);
                } catch (Exception e) {
                    failures.add(e);
                }
                latencies.add(mine);
            });
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<Double> all = new ArrayList<>();
        latencies.forEach(all::addAll);
        return new Result(all.size() / elapsed, ControlPlaneBench.pct(all, 99));
    }
}
