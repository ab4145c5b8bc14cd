package dev.oxbow.api;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.metadata.Project;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.oxbow.api.Bodies.json;
import static dev.oxbow.api.Bodies.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

/** Request bodies as the SDKs and the CLI send them, decoded into specs. */
class SpecReaderTest {
    private static void refused(ThrowingCallable call, String... named) {
        ApiException e = catchThrowableOfType(ApiException.class, call);
        assertThat(e).isNotNull();
        assertThat(e.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.getMessage()).contains(named);
    }

    @Nested
    class Projects {
        @Test
        void javaSdkCreateProject() {
            Specs.ProjectSpec s = SpecReader.project(request("java-create-project"));
            assertThat(s).isEqualTo(new Specs.ProjectSpec("My", 17, 604800L,
                    new Specs.EndpointSettings(0.5, 4.0, 300L, null, null), null, null, null, null));
            assertThat(SpecReader.projectInitial(request("java-create-project"))).isEqualTo(
                    new Specs.ProjectInitial(null, null, null));
        }

        @Test
        void javaSdkUpdateBodyCarriesTheNameWhichIsIgnored() {
            assertThat(SpecReader.project(request("java-update-project")))
                    .isEqualTo(new Specs.ProjectSpec("New", null, null, null, null, null, null, null));
        }

        @Test
        void createWithInitialBranchAndEndpointSpecs() {
            var body = request("create-project-with-initial-specs");
            Specs.ProjectSpec s = SpecReader.project(body);
            assertThat(s.displayName()).isEqualTo("Orders");
            assertThat(s.pgVersion()).as("pg_version as a string").isEqualTo(16);
            assertThat(s.historyRetentionSeconds()).isEqualTo(172800L);
            assertThat(s.defaultEndpointSettings()).isEqualTo(new Specs.EndpointSettings(null, null, null, true, Map.of("work_mem", "64MB")));
            assertThat(s.customTags()).containsExactly(new Project.Tag("team", "data"), new Project.Tag("env", ""));
            assertThat(s.enablePgNativeLogin()).isTrue();
            Specs.ProjectInitial init = SpecReader.projectInitial(body);
            assertThat(init.branchIsProtected()).isTrue();
            assertThat(init.endpoint()).isEqualTo(new Specs.EndpointSettings(1.0, 4.0, 3600L, null, null));
            assertThat(init.group()).isEqualTo(new Specs.Group(1, 1, false));
        }

        @Test
        void emptyOrMissingBodyIsAnEmptySpec() {
            Specs.ProjectSpec empty = new Specs.ProjectSpec(null, null, null, null, null, null, null, null);
            assertThat(SpecReader.project(json("{}"))).isEqualTo(empty);
            assertThat(SpecReader.project(null)).isEqualTo(empty);
            assertThat(SpecReader.project(json("{\"spec\":null}"))).isEqualTo(empty);
            assertThat(SpecReader.projectInitial(json("{}"))).isEqualTo(Specs.ProjectInitial.EMPTY);
        }

        @Test
        void goZeroValuesAreUnset() {
            Specs.ProjectSpec s = SpecReader.project(json("{\"spec\":{\"display_name\":\"\",\"pg_version\":0,\"budget_policy_id\":\"\","
                    + "\"history_retention_duration\":\"\",\"default_branch\":\"\"}}"));
            assertThat(s).isEqualTo(new Specs.ProjectSpec(null, null, null, null, null, null, null, null));
            assertThat(SpecReader.project(json("{\"spec\":{\"pg_version\":\"\"}}")).pgVersion()).isNull();
        }

        @Test
        void wrongTypesAreRefusedNamingTheField() {
            refused(() -> SpecReader.project(json("{\"spec\":{\"display_name\":5}}")), "Field spec.display_name must be a string.");
            refused(() -> SpecReader.project(json("{\"spec\":{\"pg_version\":\"seventeen\"}}")), "spec.pg_version", "\"seventeen\"");
            refused(() -> SpecReader.project(json("{\"spec\":{\"pg_version\":16.5}}")), "spec.pg_version");
            refused(() -> SpecReader.project(json("{\"spec\":{\"history_retention_duration\":604800}}")),
                    "Field spec.history_retention_duration must be a string.");
            refused(() -> SpecReader.project(json("{\"spec\":{\"history_retention_duration\":\"7d\"}}")),
                    "Field spec.history_retention_duration must be a duration");
            refused(() -> SpecReader.project(json("{\"spec\":{\"enable_pg_native_login\":\"yes\"}}")),
                    "Field spec.enable_pg_native_login must be true or false.");
            refused(() -> SpecReader.project(json("{\"spec\":{\"default_endpoint_settings\":[]}}")),
                    "Field spec.default_endpoint_settings must be an object.");
            refused(() -> SpecReader.project(json("{\"spec\":{\"default_endpoint_settings\":{\"autoscaling_limit_min_cu\":\"big\"}}}")),
                    "Field spec.default_endpoint_settings.autoscaling_limit_min_cu must be a number.");
            refused(() -> SpecReader.project(json("{\"spec\":{\"default_endpoint_settings\":{\"pg_settings\":{\"work_mem\":null}}}}")),
                    "Field spec.default_endpoint_settings.pg_settings.work_mem must be a string.");
            refused(() -> SpecReader.project(json("{\"spec\":[]}")), "Field spec must be an object.");
            refused(() -> SpecReader.project(json("[1]")), "must be a JSON object");
        }

        @Test
        void tagsNeedKeys() {
            refused(() -> SpecReader.project(json("{\"spec\":{\"custom_tags\":{\"team\":\"data\"}}}")), "spec.custom_tags must be a list");
            refused(() -> SpecReader.project(json("{\"spec\":{\"custom_tags\":[{\"value\":\"x\"}]}}")), "spec.custom_tags needs a non-empty key");
            refused(() -> SpecReader.project(json("{\"spec\":{\"custom_tags\":[\"team\"]}}")), "spec.custom_tags needs a non-empty key");
            assertThat(SpecReader.project(json("{\"spec\":{\"custom_tags\":[]}}")).customTags()).isEmpty();
        }

        @Test
        void initialSpecsAreCheckedUnderTheirNames() {
            refused(() -> SpecReader.projectInitial(json("{\"initial_branch_spec\":true}")), "Field initial_branch_spec must be an object.");
            refused(() -> SpecReader.projectInitial(json("{\"initial_endpoint_spec\":{\"group\":{\"min\":1.5}}}")),
                    "Field initial_endpoint_spec.group.min must be a whole number.");
            refused(() -> SpecReader.projectInitial(json("{\"initial_endpoint_spec\":{\"suspend_timeout_duration\":\"5 minutes\"}}")),
                    "Field initial_endpoint_spec.suspend_timeout_duration");
        }
    }

    @Nested
    class Branches {
        @Test
        void branchFromAPointInTimeWithATtl() {
            assertThat(SpecReader.branch(request("create-branch-at-time"))).isEqualTo(new Specs.BranchSpec(
                    "projects/p1/branches/production", null, Instant.parse("2026-02-27T10:15:30.123456Z"), false, 3600L, null, null));
        }

        @Test
        void branchFromAnLsnWithAnOffsetExpireTime() {
            assertThat(SpecReader.branch(request("create-branch-at-lsn"))).isEqualTo(new Specs.BranchSpec(
                    "projects/p1/branches/production", "0/16B3748", null, null, null, Instant.parse("2026-03-01T23:00:00Z"), null));
        }

        @Test
        void updateToNoExpiry() {
            assertThat(SpecReader.branch(request("update-branch-no-expiry")))
                    .isEqualTo(new Specs.BranchSpec(null, null, null, true, null, null, true));
        }

        @Test
        void badScalarsNameTheirField() {
            refused(() -> SpecReader.branch(json("{\"spec\":{\"source_branch_time\":\"2026-02-27\"}}")), "Field spec.source_branch_time", "RFC 3339");
            refused(() -> SpecReader.branch(json("{\"spec\":{\"expire_time\":1767225600}}")), "Field spec.expire_time must be a string.");
            refused(() -> SpecReader.branch(json("{\"spec\":{\"ttl\":\"1h\"}}")), "Field spec.ttl must be a duration");
            refused(() -> SpecReader.branch(json("{\"spec\":{\"no_expiry\":1}}")), "Field spec.no_expiry must be true or false.");
        }
    }

    @Nested
    class Endpoints {
        @Test
        void javaSdkCreateEndpoint() {
            assertThat(SpecReader.endpoint(request("java-create-endpoint"))).isEqualTo(
                    new Specs.EndpointSpec("ENDPOINT_TYPE_READ_WRITE", 0.5, 2.0, 300L, null, null, null, null));
        }

        @Test
        void goZeroValuesAreUnsetAndOutputFieldsIgnored() {
            assertThat(SpecReader.endpoint(request("go-create-endpoint-zero-values"))).isEqualTo(
                    new Specs.EndpointSpec("ENDPOINT_TYPE_READ_ONLY", null, null, null, null, false, new Specs.Group(null, null, null), Map.of()));
        }

        @Test
        void settingsValuesBecomeStrings() {
            Specs.EndpointSpec s = SpecReader.endpoint(request("update-endpoint-suspension"));
            assertThat(s.noSuspension()).isTrue();
            assertThat(s.pgSettings()).containsExactly(entry("statement_timeout", "30s"), entry("max_parallel_workers", "8"));
        }

        @Test
        void cuLimitsMayBeQuotedNumbers() {
            Specs.EndpointSpec s = SpecReader.endpoint(json("{\"spec\":{\"autoscaling_limit_min_cu\":\"0.5\",\"autoscaling_limit_max_cu\":\"\"}}"));
            assertThat(s.minCu()).isEqualTo(0.5);
            assertThat(s.maxCu()).isNull();
        }

        @Test
        void wrongShapesNameTheirField() {
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"autoscaling_limit_max_cu\":true}}")),
                    "Field spec.autoscaling_limit_max_cu must be a number.");
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"settings\":[]}}")), "Field spec.settings must be an object.");
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"settings\":{\"pg_settings\":[\"a\"]}}}")),
                    "Field spec.settings.pg_settings must be an object of strings.");
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"settings\":{\"pg_settings\":{\"work_mem\":{\"v\":1}}}}}")),
                    "Field spec.settings.pg_settings.work_mem must be a string.");
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"group\":3}}")), "Field spec.group must be an object.");
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"group\":{\"max\":\"two\"}}}")), "Field spec.group.max must be a number.");
            refused(() -> SpecReader.endpoint(json("{\"spec\":{\"endpoint_type\":1}}")), "Field spec.endpoint_type must be a string.");
        }
    }

    @Nested
    class RolesDatabasesCredentialsSyncedTables {
        @Test
        void role() {
            assertThat(SpecReader.role(request("create-role"))).isEqualTo(new Specs.RoleSpec("alice@example.com", "USER",
                    "LAKEBASE_OAUTH_V1", List.of("DATABRICKS_SUPERUSER"), false, true, null));
            refused(() -> SpecReader.role(json("{\"spec\":{\"membership_roles\":\"DATABRICKS_SUPERUSER\"}}")),
                    "Field spec.membership_roles must be a list of strings.");
            refused(() -> SpecReader.role(json("{\"spec\":{\"attributes\":{\"createdb\":\"true\"}}}")),
                    "Field spec.attributes.createdb must be true or false.");
        }

        @Test
        void goDatabaseWithItsAlwaysSentEmptyRole() {
            assertThat(SpecReader.database(request("go-create-database"))).isEqualTo(new Specs.DatabaseSpec("app", null));
        }

        @Test
        void credentialRequest() {
            var r = SpecReader.credentialRequest(json("{\"endpoint\":\"projects/p1/branches/production/endpoints/primary\",\"ttl\":\"900s\"}"));
            assertThat(r.endpoint()).isEqualTo("projects/p1/branches/production/endpoints/primary");
            assertThat(r.ttlSeconds()).isEqualTo(900L);
            assertThat(r.expireTime()).isNull();
            var byTime = SpecReader.credentialRequest(json("{\"endpoint\":\"\",\"expire_time\":\"2026-03-01T12:30:00Z\"}"));
            assertThat(byTime.endpoint()).isNull();
            assertThat(byTime.expireTime()).isEqualTo(Instant.parse("2026-03-01T12:30:00Z"));
            refused(() -> SpecReader.credentialRequest(null), "must be a JSON object");
            refused(() -> SpecReader.credentialRequest(json("{\"ttl\":900}")), "Field ttl must be a string.");
        }

        @Test
        void syncedTable() {
            var s = SpecReader.syncedTable(request("create-synced-table"));
            assertThat(s.sourceTableFullName()).isEqualTo("cat.src.tbl");
            assertThat(s.primaryKeyColumns()).containsExactly("id");
            assertThat(s.schedulingPolicy()).isEqualTo("TRIGGERED");
            assertThat(s.branch()).isEqualTo("projects/p/branches/b");
            assertThat(s.postgresDatabase()).isEqualTo("db");
            // Oxbow runs no pipeline: where one would keep its state is refused, not dropped
            assertThat(s.unsupported()).containsExactly("spec.new_pipeline_spec");
        }

        @Test
        void syncedTableFeaturesOxbowLacksAreListed() {
            var s = SpecReader.syncedTable(json("{\"spec\":{\"type_overrides\":[{\"column_name\":\"v\",\"pg_type\":\"PG_SPECIFIC_TYPE_VECTOR\"}],"
                    + "\"extra_columns\":[],\"extra_index_definitions\":null}}"));
            assertThat(s.unsupported()).containsExactly("spec.type_overrides");
            assertThat(s.primaryKeyColumns()).isEmpty();
        }
    }
}
