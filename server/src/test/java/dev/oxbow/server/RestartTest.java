package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.service.postgres.CreateBranchRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.EndpointStatusState;
import com.databricks.sdk.service.postgres.Project;
import com.databricks.sdk.service.postgres.Branch;
import com.databricks.sdk.service.postgres.BranchSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A clean shutdown stops every compute; the next start brings back what was ACTIVE, data intact. */
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

        try (TestServer t = TestServer.start(home)) {
            assertThat(t.token()).as("the admin token is created once").isEqualTo(token);
            var w = t.sdk();
            assertThat(w.postgres().getEndpoint("projects/keep/branches/production/endpoints/primary").getStatus().getCurrentState())
                    .isEqualTo(EndpointStatusState.ACTIVE);
            assertThat(w.postgres().getEndpoint("projects/keep/branches/feature/endpoints/primary").getStatus().getCurrentState())
                    .isEqualTo(EndpointStatusState.ACTIVE);
            assertThat(Processes.postgresUnder(home)).hasSize(2);
            assertThat(Sql.column(t, "projects/keep/branches/production/endpoints/primary", "databricks_postgres", "SELECT v FROM t"))
                    .containsExactly("survives");
        }
    }
}
