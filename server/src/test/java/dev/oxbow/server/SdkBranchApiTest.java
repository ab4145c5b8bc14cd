package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.AlreadyExists;
import com.databricks.sdk.core.error.platform.BadRequest;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Durations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Branches, endpoints, roles and databases through the SDK; data checked on the real computes. */
@ExtendWith(SharedServer.class)
class SdkBranchApiTest {
    static TestServer t;
    static WorkspaceClient w;
    static final String P = "projects/sdk-branches";
    static final String PROD = P + "/branches/production";

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("sdk-branches").setProject(new Project())).waitForCompletion();
    }

    @AfterAll
    static void cleanup() throws Exception {
        w.postgres().deleteProject(new DeleteProjectRequest().setName(P).setPurge(true)).waitForCompletion();
    }

    @Test
    void branchesAreIsolatedCopiesOfTheirParent() throws Exception {
        String prodEp = PROD + "/endpoints/primary";
        Sql.exec(t, prodEp, "databricks_postgres", "CREATE TABLE items (id int primary key, note text); INSERT INTO items VALUES (1, 'before')");

        Branch dev = w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("dev")
                .setBranch(new Branch().setSpec(new BranchSpec().setSourceBranch(PROD).setNoExpiry(true)))).waitForCompletion();
        assertThat(dev.getStatus().getCurrentState()).isEqualTo(BranchStatusState.READY);
        assertThat(dev.getStatus().getSourceBranch()).isEqualTo(PROD);
        assertThat(dev.getStatus().getSourceBranchLsn()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(dev.getStatus().getDefault()).isFalse();

        String devEp = P + "/branches/dev/endpoints/primary";
        Endpoint devPrimary = w.postgres().getEndpoint(devEp);
        assertThat(devPrimary.getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
        assertThat(Durations.toSeconds(devPrimary.getStatus().getSuspendTimeoutDuration())).isEqualTo(300);

        Sql.exec(t, prodEp, "databricks_postgres", "INSERT INTO items VALUES (2, 'prod after branch')");
        Sql.exec(t, devEp, "databricks_postgres", "INSERT INTO items VALUES (3, 'dev only')");
        assertThat(Sql.column(t, prodEp, "databricks_postgres", "SELECT id FROM items ORDER BY id")).containsExactly("1", "2");
        assertThat(Sql.column(t, devEp, "databricks_postgres", "SELECT id FROM items ORDER BY id")).containsExactly("1", "3");

        // roles and databases come along with the branch
        assertThat(StreamSupport.stream(w.postgres().listDatabases(P + "/branches/dev").spliterator(), false)
                .map(d -> d.getStatus().getPostgresDatabase())).contains("databricks_postgres");
        assertThat(StreamSupport.stream(w.postgres().listRoles(P + "/branches/dev").spliterator(), false)
                .map(r -> r.getStatus().getPostgresRole())).contains("admin@oxbow.local");

        assertThatThrownBy(() -> w.postgres().deleteBranch(PROD)).isInstanceOf(BadRequest.class);
        w.postgres().deleteBranch(new DeleteBranchRequest().setName(P + "/branches/dev").setPurge(true)).waitForCompletion();
        assertThatThrownBy(() -> w.postgres().getBranch(P + "/branches/dev")).isInstanceOf(NotFound.class);
    }

    @Test
    void branchRulesAreEnforced() throws Exception {
        assertThatThrownBy(() -> w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("no-expiry-set")
                .setBranch(new Branch().setSpec(new BranchSpec()))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("exactly one of spec.ttl");
        assertThatThrownBy(() -> w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("two-expiries")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true).setTtl(Durations.fromSeconds(3600))))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("mutually exclusive");
        assertThatThrownBy(() -> w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("too-long")
                .setBranch(new Branch().setSpec(new BranchSpec().setTtl(Durations.fromSeconds(31L * 86400))))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("30 days");
        assertThatThrownBy(() -> w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("x")
                .setBranch(new Branch().setSpec(new BranchSpec().setSourceBranch(P + "/branches/missing").setNoExpiry(true)))))
                .isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("production")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))))
                .isInstanceOf(AlreadyExists.class);

        Branch ttl = w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("short-lived")
                .setBranch(new Branch().setSpec(new BranchSpec().setTtl(Durations.fromSeconds(7200))))).waitForCompletion();
        assertThat(ttl.getStatus().getExpireTime()).isNotNull();
        assertThatThrownBy(() -> w.postgres().updateBranch(new UpdateBranchRequest().setName(P + "/branches/short-lived")
                .setBranch(new Branch().setSpec(new BranchSpec().setIsProtected(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.is_protected").build())))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("cannot expire");
        Branch kept = w.postgres().updateBranch(new UpdateBranchRequest().setName(P + "/branches/short-lived")
                .setBranch(new Branch().setSpec(new BranchSpec().setIsProtected(true).setNoExpiry(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.is_protected").addPaths("spec.expiration").build())).waitForCompletion();
        assertThat(kept.getStatus().getIsProtected()).isTrue();
        assertThat(kept.getStatus().getExpireTime()).isNull();
        assertThatThrownBy(() -> w.postgres().deleteBranch(P + "/branches/short-lived"))
                .isInstanceOf(BadRequest.class).hasMessageContaining("protected");
        assertThatThrownBy(() -> w.postgres().deleteProject(P)).isInstanceOf(BadRequest.class).hasMessageContaining("protected");
        w.postgres().updateBranch(new UpdateBranchRequest().setName(P + "/branches/short-lived")
                .setBranch(new Branch().setSpec(new BranchSpec().setIsProtected(false)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.is_protected").build())).waitForCompletion();
        w.postgres().deleteBranch(new DeleteBranchRequest().setName(P + "/branches/short-lived").setPurge(true)).waitForCompletion();
    }

    @Test
    void endpointsRolesAndDatabasesAreReal() throws Exception {
        String ep = PROD + "/endpoints/primary";
        assertThatThrownBy(() -> w.postgres().createEndpoint(new CreateEndpointRequest().setParent(PROD).setEndpointId("second-rw")
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)))))
                .isInstanceOf(AlreadyExists.class);
        assertThatThrownBy(() -> w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setAutoscalingLimitMaxCu(64.0).setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.autoscaling_limit_max_cu").build())))
                .isInstanceOf(InvalidParameterValue.class);

        Endpoint resized = w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setAutoscalingLimitMinCu(1.0).setAutoscalingLimitMaxCu(2.0)
                        .setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.autoscaling_limit_min_cu").addPaths("spec.autoscaling_limit_max_cu").build()))
                .waitForCompletion();
        assertThat(resized.getStatus().getAutoscalingLimitMaxCu()).isEqualTo(2.0);
        assertThat(Sql.column(t, ep, "postgres", "SHOW max_connections")).containsExactly("419");

        Endpoint disabled = w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setDisabled(true).setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.disabled").build())).waitForCompletion();
        assertThat(disabled.getStatus().getCurrentState()).isEqualTo(EndpointStatusState.IDLE);
        assertThat(t.server().controlPlane().computes().running(t.server().controlPlane().store().endpoints().get(ep).orElseThrow())).isFalse();

        // roles and databases still work on a disabled branch (maintenance start), and are real
        Role role = w.postgres().createRole(new CreateRoleRequest().setParent(PROD).setRoleId("app-user")
                .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole("app_user")
                        .setAuthMethod(RoleAuthMethod.PG_PASSWORD_SCRAM_SHA_256)
                        .setAttributes(new RoleAttributes().setCreatedb(true))))).waitForCompletion();
        assertThat(role.getStatus().getPostgresRole()).isEqualTo("app_user");
        Database db = w.postgres().createDatabase(new CreateDatabaseRequest().setParent(PROD).setDatabaseId("app-db")
                .setDatabase(new Database().setSpec(new DatabaseDatabaseSpec().setPostgresDatabase("app").setRole(PROD + "/roles/app-user"))))
                .waitForCompletion();
        assertThat(db.getStatus().getRole()).isEqualTo(PROD + "/roles/app-user");
        assertThatThrownBy(() -> w.postgres().createDatabase(new CreateDatabaseRequest().setParent(PROD).setDatabaseId("bad-owner")
                .setDatabase(new Database().setSpec(new DatabaseDatabaseSpec().setPostgresDatabase("x").setRole(PROD + "/roles/nobody")))))
                .isInstanceOf(NotFound.class).hasMessageContaining("role not found");

        Endpoint enabled = w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setDisabled(false).setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.disabled").build())).waitForCompletion();
        assertThat(enabled.getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
        assertThat(Sql.column(t, ep, "postgres", "SELECT rolcreatedb::text FROM pg_roles WHERE rolname = 'app_user'")).containsExactly("true");
        assertThat(Sql.column(t, ep, "postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'")).containsExactly("app_user");

        w.postgres().updateDatabase(new UpdateDatabaseRequest().setName(PROD + "/databases/app-db")
                .setDatabase(new Database().setSpec(new DatabaseDatabaseSpec().setPostgresDatabase("app_renamed")))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.postgres_database").build())).waitForCompletion();
        assertThat(Sql.column(t, ep, "postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'app%'")).containsExactly("app_renamed");

        assertThatThrownBy(() -> w.postgres().deleteRole(PROD + "/roles/app-user")).isInstanceOf(BadRequest.class).hasMessageContaining("owns");
        w.postgres().deleteDatabase(PROD + "/databases/app-db").waitForCompletion();
        w.postgres().deleteRole(PROD + "/roles/app-user").waitForCompletion();
        assertThat(Sql.column(t, ep, "postgres", "SELECT count(*) FROM pg_roles WHERE rolname = 'app_user'")).containsExactly("0");
        assertThat(Sql.column(t, ep, "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'app_renamed'")).containsExactly("0");
        assertThat(StreamSupport.stream(w.postgres().listRoles(PROD).spliterator(), false).map(Role::getName).toList())
                .doesNotContain(PROD + "/roles/app-user");
    }

}
