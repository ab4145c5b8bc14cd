package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.util.Durations;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Expired branches and soft-deleted resources past their purge time disappear with their computes and files. */
class ReaperTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    @Test
    void expiredBranchesAndPurgedProjectsAreRemoved() throws Exception {
        var home = homes.newHome("reaper");
        var config = TestServer.config(home).withSoftDeleteRetention(Duration.ZERO);
        try (TestServer t = TestServer.start(config)) {
            WorkspaceClient w = t.sdk();
            w.postgres().createProject(new CreateProjectRequest().setProjectId("reap").setProject(new Project())).waitForCompletion();
            w.postgres().createBranch(new CreateBranchRequest().setParent("projects/reap").setBranchId("brief")
                    .setBranch(new Branch().setSpec(new BranchSpec().setTtl(Durations.fromSeconds(1))))).waitForCompletion();
            var cp = t.server().controlPlane();
            var brief = cp.store().branches().get("projects/reap/branches/brief").orElseThrow();
            var project = cp.store().projects().get("projects/reap").orElseThrow();
            var briefDir = cp.config().layout().branchDir(project, brief);
            assertThat(Files.exists(briefDir)).isTrue();
            Thread.sleep(1200);
            cp.reaper().sweep();
            awaitGone(() -> w.postgres().getBranch("projects/reap/branches/brief"));
            awaitTrue(() -> !Files.exists(briefDir));
            assertThat(Processes.postgresUnder(home)).hasSize(1);

            // soft delete keeps data until purge_time (zero here), then the reaper purges it
            w.postgres().deleteProject("projects/reap").waitForCompletion();
            assertThat(StreamSupport.stream(w.postgres().listProjects(new ListProjectsRequest().setShowDeleted(true)).spliterator(), false)
                    .map(Project::getName)).contains("projects/reap");
            assertThat(Processes.postgresUnder(home)).isEmpty();
            cp.reaper().sweep();
            awaitTrue(() -> cp.store().projects().get("projects/reap").isEmpty());
            awaitTrue(() -> !Files.exists(cp.config().layout().projectDir(project)));
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.sleep(50);
        }
    }

    static void awaitGone(org.assertj.core.api.ThrowableAssert.ThrowingCallable get) throws Exception {
        awaitTrue(() -> {
            try {
                get.call();
                return false;
            } catch (NotFound e) {
                return true;
            } catch (Throwable e) {
                throw new AssertionError(e);
            }
        });
        assertThatThrownBy(get).isInstanceOf(NotFound.class);
    }
}
