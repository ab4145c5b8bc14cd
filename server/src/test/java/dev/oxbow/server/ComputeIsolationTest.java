package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.*;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.ProcessIdentities;
import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Route 2 of the tenant-isolation audit: code running as one project's compute OS user (what a
 * {@code COPY ... TO PROGRAM}, an extension or a Postgres bug gets) must not reach another project's
 * compute, files or sockets, nor its own compute as superuser. The attacker runs with exactly the
 * credentials of A's postmaster (the same setpriv wrapping), and as A's bare uid and gid.
 */
class ComputeIsolationTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static TestServer t;
    static WorkspaceClient w;
    static ControlPlane cp;
    static final String A = "projects/iso-a";
    static final String B = "projects/iso-b";
    static final String A_PROD = A + "/branches/production";
    static final String B_PROD = B + "/branches/production";

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "per-project OS users need the tests to run as root");
        t = TestServer.start(homes.newHome("isolation"));
        w = t.sdk();
        cp = t.server().controlPlane();
        for (String id : List.of("iso-a", "iso-b")) {
            var op = w.postgres().createProject(new CreateProjectRequest().setProjectId(id).setProject(new Project()));
            SdkOperations.await(t, op.getName(), op::waitForCompletion);
        }
        Sql.exec(t, B_PROD + "/endpoints/primary", "databricks_postgres", "CREATE TABLE secret AS SELECT 'b-only' AS v");
    }

    @AfterAll
    static void stop() {
        if (t != null) {
            t.close();
        }
    }

    @Test
    void eachProjectsComputesRunAsItsOwnUnprivilegedUser() throws Exception {
        ProcessIdentity a = owner(A);
        ProcessIdentity b = owner(B);
        assertThat(a.user()).isEqualTo(ProcessIdentities.userNameOf(project(A).uid())).startsWith("oxbow-");
        assertThat(a.uid()).isNotEqualTo(b.uid()).isNotZero();
        assertThat(b.uid()).isNotZero();
        assertThat(uidOf(pid(A_PROD + "/endpoints/primary"))).isEqualTo(a.uid());
        assertThat(uidOf(pid(B_PROD + "/endpoints/primary"))).isEqualTo(b.uid());
        Path aData = layout().dataDir(project(A), branch(A_PROD));
        assertThat(uidOfFile(aData)).isEqualTo(a.uid());
        assertThat(uidOfFile(layout().archiveDir(project(A), branch(A_PROD)))).isEqualTo(a.uid());
        assertThat(mode(aData)).isEqualTo("rwx------");
        assertThat(mode(layout().projectDir(project(A)))).as("only A's group may pass").isEqualTo("rwx--x---");
        assertThat(mode(t.home())).isEqualTo("rwx--x---");
    }

    @Test
    void aComputeUserCannotReachAnotherProjectNorItsOwnComputeAsSuperuser() throws Exception {
        ProcessIdentity a = owner(A);
        Path aSocket = socket(A_PROD + "/endpoints/primary");
        Path bSocket = socket(B_PROD + "/endpoints/primary");
        Path bBranch = layout().branchDir(project(B), branch(B_PROD));
        Path aData = layout().dataDir(project(A), branch(A_PROD));
        assertThat(Files.list(layout().snapshotsDir(project(B), branch(B_PROD))).toList()).isNotEmpty();

        List<List<String>> attackers = List.of(
                a.wrap(List.of()), // exactly what A's postmaster runs with, supplementary group included
                List.of("/usr/bin/setpriv", "--reuid=" + a.uid(), "--regid=" + a.gid(), "--clear-groups", "--"));
        // the attacker is real: with exactly the postmaster's credentials it reads what A's user owns (the bare
        // uid/gid below lacks the group that passes through the home, so it is weaker still and needs no control)
        assertThat(run(attackers.get(0), "cat", aData.resolve("PG_VERSION").toString()).output()).as("control").contains("1");
        for (List<String> as : attackers) {

            for (String role : List.of(Defaults.SYSTEM_ROLE, Defaults.SUPERUSER_ROLE, PgConnections.REPLICATION_ROLE, "postgres")) {
                Result other = run(as, psql(), "-X", "-w", "-h", bSocket.getParent().toString(), "-U", role, "-d", "databricks_postgres",
                        "-c", "SELECT v FROM secret");
                assertThat(other.exit()).as("as A into B as %s: %s", role, other.output()).isNotZero();
                assertThat(other.output()).doesNotContain("b-only");
                Result own = run(as, psql(), "-X", "-w", "-h", aSocket.getParent().toString(), "-U", role, "-d", "postgres",
                        "-c", "SELECT 1");
                assertThat(own.exit()).as("as A into its own compute as %s: %s", role, own.output()).isNotZero();
            }
            for (Path p : List.of(bBranch.resolve("pgdata/PG_VERSION"), bBranch.resolve("pgdata/pg_hba.conf"),
                    t.home().resolve("oxbow.db"), t.home().resolve("admin-token"), t.home().resolve("tls/server.key"))) {
                Result cat = run(as, "cat", p.toString());
                assertThat(cat.exit()).as("as A: cat %s: %s", p, cat.output()).isNotZero();
            }
            for (Path dir : List.of(layout().projectDir(project(B)), bBranch.resolve("pgdata"), layout().archiveDir(project(B), branch(B_PROD)),
                    layout().snapshotsDir(project(B), branch(B_PROD)), bSocket.getParent(), t.home(), layout().projectsRoot())) {
                Result ls = run(as, "ls", "-la", dir.toString());
                assertThat(ls.exit()).as("as A: ls %s: %s", dir, ls.output()).isNotZero();
            }
            Result write = run(as, "touch", bBranch.resolve("pgdata/planted").toString());
            assertThat(write.exit()).isNotZero();
            assertThat(Files.exists(bBranch.resolve("pgdata/planted"))).isFalse();
        }
        // Oxbow itself still gets in, and so does a real client through the proxy
        assertThat(Sql.column(t, B_PROD + "/endpoints/primary", "databricks_postgres", "SELECT v FROM secret")).containsExactly("b-only");
        String token = w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(B_PROD + "/endpoints/primary")).getToken();
        String uid = w.postgres().getEndpoint(B_PROD + "/endpoints/primary").getUid();
        try (var c = ProxyClients.jdbc(t, uid, "admin@oxbow.local", token, "require");
             var rs = c.createStatement().executeQuery("SELECT v FROM secret")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("b-only");
        }
    }

    @Test
    void replicasBranchesAndBranchesFromThePastStayInTheProjectsIdentity() throws Exception {
        ProcessIdentity a = owner(A);
        Sql.exec(t, A_PROD + "/endpoints/primary", "databricks_postgres", "CREATE TABLE IF NOT EXISTS marks (n int); INSERT INTO marks VALUES (1)");
        String lsn = Sql.column(t, A_PROD + "/endpoints/primary", "postgres", "SELECT pg_current_wal_lsn()::text").getFirst();
        Sql.exec(t, A_PROD + "/endpoints/primary", "databricks_postgres", "INSERT INTO marks VALUES (2)");

        var reader = w.postgres().createEndpoint(new CreateEndpointRequest().setParent(A_PROD).setEndpointId("reader")
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_ONLY))));
        SdkOperations.await(t, reader.getName(), reader::waitForCompletion);
        ReaperTest.awaitTrue(() -> Sql.column(t, A_PROD + "/endpoints/reader", "databricks_postgres", "SELECT count(*) FROM marks").equals(List.of("2")));
        assertThat(Sql.column(t, A_PROD + "/endpoints/primary", "postgres", "SELECT usename FROM pg_stat_replication"))
                .as("the replica streams as the replication role, not as a superuser").containsExactly(PgConnections.REPLICATION_ROLE);
        assertThat(uidOf(pid(A_PROD + "/endpoints/reader"))).isEqualTo(a.uid());

        BranchSpec child = new BranchSpec().setSourceBranch(A_PROD).setNoExpiry(true);
        var childOp = w.postgres().createBranch(new CreateBranchRequest().setParent(A).setBranchId("child").setBranch(new Branch().setSpec(child)));
        SdkOperations.await(t, childOp.getName(), childOp::waitForCompletion);
        BranchSpec past = new BranchSpec().setSourceBranch(A_PROD).setSourceBranchLsn(lsn).setNoExpiry(true);
        var pastOp = w.postgres().createBranch(new CreateBranchRequest().setParent(A).setBranchId("past").setBranch(new Branch().setSpec(past)));
        SdkOperations.await(t, pastOp.getName(), pastOp::waitForCompletion);
        for (String b : List.of(A + "/branches/child", A + "/branches/past")) {
            assertThat(uidOfFile(layout().dataDir(project(A), branch(b)))).as(b).isEqualTo(a.uid());
            assertThat(uidOf(pid(b + "/endpoints/primary"))).as(b).isEqualTo(a.uid());
        }
        assertThat(Sql.column(t, A + "/branches/past/endpoints/primary", "databricks_postgres", "SELECT count(*) FROM marks")).containsExactly("1");
    }

    @Test
    void nothingInTheHomeIsReadableByOthers() throws Exception {
        List<String> open = new ArrayList<>();
        try (Stream<Path> all = Files.walk(t.home())) {
            for (Path p : all.toList()) {
                if (Files.isSymbolicLink(p) || p.startsWith(t.server().config().pgBinaries()) || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    if (Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_READ)) {
                        open.add(mode(p) + " " + p);
                    }
                } catch (java.nio.file.NoSuchFileException vanished) {
                    // a WAL segment recycled meanwhile
                }
            }
        }
        assertThat(open).as("world-readable under the home").isEmpty();
    }

    @Test
    void purgingAProjectRemovesItsOsUser() throws Exception {
        var goneOp = w.postgres().createProject(new CreateProjectRequest().setProjectId("iso-gone").setProject(new Project()));
        SdkOperations.await(t, goneOp.getName(), goneOp::waitForCompletion);
        String user = owner("projects/iso-gone").user();
        assertThat(getent(user)).isZero();
        var purgeOp = w.postgres().deleteProject(new DeleteProjectRequest().setName("projects/iso-gone").setPurge(true));
        SdkOperations.awaitEnded(t, purgeOp.getName(), purgeOp::waitForCompletion);
        assertThat(getent(user)).as("getent passwd %s after purge", user).isEqualTo(2);
        assertThat(run(List.of(), "getent", "group", user).exit()).as("its group %s after purge", user).isEqualTo(2);
    }

    // ---- helpers

    record Result(int exit, String output) {}

    private static Result run(List<String> as, String... command) throws Exception {
        List<String> full = new ArrayList<>(as);
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + full);
        }
        return new Result(p.exitValue(), out);
    }

    private static String psql() {
        Path system = Path.of("/usr/bin/psql");
        return Files.isExecutable(system) ? system.toString() : t.server().config().pgBinaries().resolve("17/bin/psql").toString();
    }

    private static int getent(String user) throws Exception {
        return run(List.of(), "getent", "passwd", user).exit();
    }

    private static Layout layout() {
        return cp.config().layout();
    }

    private static dev.oxbow.metadata.Project project(String name) {
        return cp.store().projects().get(name).orElseThrow();
    }

    private static dev.oxbow.metadata.Branch branch(String name) {
        return cp.store().branches().get(name).orElseThrow();
    }

    private static ProcessIdentity owner(String projectName) throws Exception {
        return cp.computes().owner(project(projectName));
    }

    private static Path socket(String endpoint) {
        return layout().socketDir(cp.store().endpoints().get(endpoint).orElseThrow()).resolve(PgConnections.SOCKET_FILE);
    }

    private static long pid(String endpoint) {
        return cp.computes().runtime().find(cp.store().endpoints().get(endpoint).orElseThrow().uid()).orElseThrow().pid();
    }

    private static int uidOf(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
            }
        }
        throw new AssertionError("no Uid for pid " + pid);
    }

    private static int uidOfFile(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
