package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.service.postgres.CreateBranchRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.EndpointStatusState;
import com.databricks.sdk.service.postgres.Project;
import com.databricks.sdk.service.postgres.Branch;
import com.databricks.sdk.service.postgres.BranchSpec;
import dev.oxbow.compute.ProcessIdentities;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A clean shutdown stops every compute; the next start brings back what was ACTIVE, data intact. As root it also
 * sweeps this home's OS users of projects it no longer has, and never another home's.
 */
class RestartTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    @Test
    void cleanRestartBringsBackActiveComputes() throws Exception {
        Path home = homes.newHome("restart");
        String token;
        try (TestServer t = TestServer.start(home)) {
            token = t.token();
            var w = t.sdk();
            w.postgres().createProject(new CreateProjectRequest().setProjectId("keep").setProject(new Project())).waitForCompletion();
            w.postgres().createBranch(new CreateBranchRequest().setParent("projects/keep").setBranchId("feature")
                    .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
            Sql.exec(t, "projects/keep/branches/production/endpoints/primary", "databricks_postgres",
                    "CREATE TABLE t (v text); INSERT INTO t VALUES ('survives')");
            assertThat(Processes.postgresUnder(home)).hasSize(2);
        }
        assertThat(Processes.postgresUnder(home)).as("no postgres left after a clean shutdown").isEmpty();
        boolean root = ProcessHandle.current().info().user().orElse("").equals("root");
        // what a crash between a purge's file removal and its userdel leaves, and another home's user on the machine
        String orphan = "gone-" + Long.toHexString(System.nanoTime());
        String foreign = "theirs-" + Long.toHexString(System.nanoTime());
        if (root) {
            useradd(orphan, "oxbow tenant " + orphan + " home " + HomeId.read(home).orElseThrow());
            useradd(foreign, "oxbow tenant " + foreign + " home someotherhome");
        }

        try (TestServer t = TestServer.start(home)) {
            if (root) {
                assertThat(getent(ProcessIdentities.userNameOf(orphan))).as("this home's orphan is swept").isEqualTo(2);
                assertThat(getent(ProcessIdentities.userNameOf(foreign))).as("another home's user survives").isZero();
                assertThat(getent(ProcessIdentities.userNameOf(t.server().controlPlane().store().projects()
                        .get("projects/keep").orElseThrow().uid()))).as("a project's own user survives").isZero();
            }
            assertThat(t.token()).as("the admin token is created once").isEqualTo(token);
            var w = t.sdk();
            assertThat(w.postgres().getEndpoint("projects/keep/branches/production/endpoints/primary").getStatus().getCurrentState())
                    .isEqualTo(EndpointStatusState.ACTIVE);
            assertThat(w.postgres().getEndpoint("projects/keep/branches/feature/endpoints/primary").getStatus().getCurrentState())
                    .isEqualTo(EndpointStatusState.ACTIVE);
            assertThat(Processes.postgresUnder(home)).hasSize(2);
            assertThat(Sql.column(t, "projects/keep/branches/production/endpoints/primary", "databricks_postgres", "SELECT v FROM t"))
                    .containsExactly("survives");
        } finally {
            if (root) {
                run("userdel", ProcessIdentities.userNameOf(foreign));
            }
        }
    }

    private static void useradd(String tenant, String comment) throws Exception {
        assertThat(run("useradd", "--system", "--no-create-home", "--user-group", "--comment", comment,
                ProcessIdentities.userNameOf(tenant))).isZero();
    }

    private static int getent(String user) throws Exception {
        return run("getent", "passwd", user);
    }

    private static int run(String... command) throws Exception {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
