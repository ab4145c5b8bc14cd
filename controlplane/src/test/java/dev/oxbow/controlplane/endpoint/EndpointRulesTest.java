package dev.oxbow.controlplane.endpoint;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.entry;

class EndpointRulesTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final EndpointRules rules = new EndpointRules(Limits.defaults(), new Uids(), ComputeSizing.defaults());

    private static Project project(EndpointDefaults defaults) {
        return new Project("p1", "proj-x", NOW, NOW, null, null, "P", 17, 604800, defaults, "production", null, null, false, "o@x");
    }

    private static final Project PROJECT = project(new EndpointDefaults(0.5, 4, 300L, false, Map.of()));
    private static final Branch BRANCH = Branch.newBranch("p1", "dev", "br-x", NOW).state(BranchState.READY).pendingState(null)
            .sourceBranchId("production").build();

    private static Specs.EndpointSpec spec(String type, Double min, Double max) {
        return new Specs.EndpointSpec(type, min, max, null, null, null, null, null);
    }

    @Nested
    class Suspension {
        @Test
        void timeoutAndNoSuspensionAreMutuallyExclusive() {
            invalid(() -> rules.suspension("spec.", 300L, true, 300),
                    "spec.suspend_timeout_duration", "spec.no_suspension", "mutually exclusive");
        }

        @Test
        void noSuspensionMeansNeverWithoutATimeout() {
            assertThat(rules.suspension("spec.", null, true, 300)).isEqualTo(new EndpointRules.Suspension(null, true));
        }

        @Test
        void unsetTakesTheDefault() {
            assertThat(rules.suspension("spec.", null, null, 300)).isEqualTo(new EndpointRules.Suspension(300L, false));
            assertThat(rules.suspension("spec.", null, false, 120)).isEqualTo(new EndpointRules.Suspension(120L, false));
        }

        @Test
        void explicitTimeoutIsValidatedUnderItsPrefixedName() {
            assertThat(rules.suspension("spec.", 3600L, false, 300)).isEqualTo(new EndpointRules.Suspension(3600L, false));
            invalid(() -> rules.suspension("initial_endpoint_spec.", 30L, null, 300), "Field initial_endpoint_spec.suspend_timeout_duration");
        }
    }

    @Nested
    class Group {
        @Test
        void unsetOrZeroGroupIsASingleCompute() {
            assertThatCode(() -> rules.group(null)).doesNotThrowAnyException();
            assertThatCode(() -> rules.group(new Specs.Group(0, 0, null))).doesNotThrowAnyException();
            assertThatCode(() -> rules.group(new Specs.Group(null, null, true))).doesNotThrowAnyException();
        }

        @Test
        void equalMinAndMaxOfAtLeastOneAreAccepted() {
            assertThatCode(() -> rules.group(new Specs.Group(3, 3, true))).doesNotThrowAnyException();
        }

        @Test
        void unequalOrBelowOneIsRefusedNamingBothFields() {
            invalid(() -> rules.group(new Specs.Group(1, 2, null)), "spec.group.min", "spec.group.max", "got 1 and 2");
            invalid(() -> rules.group(new Specs.Group(0, 1, null)), "spec.group.min", "got 0 and 1");
            invalid(() -> rules.group(new Specs.Group(2, null, null)), "got 2 and 0");
        }
    }

    @Nested
    class NewEndpoint {
        @Test
        void typeIsRequired() {
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", spec(null, null, null), NOW), "'spec.endpoint_type' is required");
        }

        @Test
        void unknownTypeIsRefusedNamingTheValues() {
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", spec("READ_WRITE", null, null), NOW),
                    "spec.endpoint_type", "ENDPOINT_TYPE_READ_WRITE", "ENDPOINT_TYPE_READ_ONLY", "'READ_WRITE'");
        }

        @Test
        void unsetValuesComeFromTheProjectDefaults() {
            Endpoint e = rules.newEndpoint(PROJECT, BRANCH, "replica", spec(Endpoint.READ_ONLY, null, null), NOW);
            assertThat(e.name()).isEqualTo("projects/p1/branches/dev/endpoints/replica");
            assertThat(e.uid()).startsWith("ep-");
            assertThat(e.state()).isEqualTo(EndpointState.INIT);
            assertThat(e.pendingState()).isEqualTo(EndpointState.ACTIVE);
            assertThat(e.minCu()).isEqualTo(0.5);
            assertThat(e.maxCu()).isEqualTo(4);
            assertThat(e.suspendTimeoutSeconds()).isEqualTo(300L);
            assertThat(e.noSuspension()).isFalse();
            assertThat(e.disabled()).isFalse();
            assertThat(e.groupMin()).isEqualTo(1);
            assertThat(e.groupMax()).isEqualTo(1);
            assertThat(e.createTime()).isEqualTo(NOW);
        }

        @Test
        void projectNoSuspensionDefaultIsInherited() {
            Project alwaysOn = project(new EndpointDefaults(1, 2, null, true, Map.of()));
            Endpoint e = rules.newEndpoint(alwaysOn, BRANCH, "e", spec(Endpoint.READ_WRITE, null, null), NOW);
            assertThat(e.noSuspension()).isTrue();
            assertThat(e.suspendTimeoutSeconds()).isNull();
        }

        @Test
        void aMaxBelowTheDefaultMinPullsTheMinDown() {
            Project big = project(new EndpointDefaults(2, 4, 300L, false, Map.of()));
            Endpoint e = rules.newEndpoint(big, BRANCH, "e", spec(Endpoint.READ_WRITE, null, 1.0), NOW);
            assertThat(e.minCu()).isEqualTo(1);
            assertThat(e.maxCu()).isEqualTo(1);
        }

        @Test
        void aMinAboveTheDefaultMaxPullsTheMaxUp() {
            Endpoint e = rules.newEndpoint(PROJECT, BRANCH, "e", spec(Endpoint.READ_WRITE, 8.0, null), NOW);
            assertThat(e.minCu()).isEqualTo(8);
            assertThat(e.maxCu()).isEqualTo(8);
        }

        @Test
        void aDerivedMaxIsClampedToTheSpread() {
            Project wide = project(new EndpointDefaults(8, 16, 300L, false, Map.of()));
            Endpoint e = rules.newEndpoint(wide, BRANCH, "e", spec(Endpoint.READ_WRITE, 4.0, null), NOW);
            assertThat(e.minCu()).isEqualTo(4);
            assertThat(e.maxCu()).isEqualTo(12);
        }

        @Test
        void aDerivedMaxClampedBetweenSizesTakesTheLargestSizeInside() {
            // 0.5 + an 8 CU spread = 8.5, not a size: the caller never set a max, so it must not be refused for one
            Project wide = project(new EndpointDefaults(1, 9, 300L, false, Map.of()));
            Endpoint e = rules.newEndpoint(wide, BRANCH, "e", spec(Endpoint.READ_WRITE, 0.5, null), NOW);
            assertThat(e.minCu()).isEqualTo(0.5);
            assertThat(e.maxCu()).isEqualTo(8);
            Project huge = project(new EndpointDefaults(16, 32, 300L, false, Map.of()));
            assertThat(rules.newEndpoint(huge, BRANCH, "e", spec(Endpoint.READ_WRITE, 16.0, null), NOW).maxCu()).isEqualTo(24);
        }

        @Test
        void explicitRangeIsValidatedUnderSpecNames() {
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", spec(Endpoint.READ_WRITE, 4.0, 2.0), NOW),
                    "spec.autoscaling_limit_max_cu (2)");
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", spec(Endpoint.READ_WRITE, 1.5, null), NOW),
                    "Field spec.autoscaling_limit_min_cu");
        }

        @Test
        void explicitSuspensionOverridesTheProjectAndIsValidated() {
            var s = new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, 3600L, null, null, null, null);
            assertThat(rules.newEndpoint(PROJECT, BRANCH, "e", s, NOW).suspendTimeoutSeconds()).isEqualTo(3600L);
            var never = new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, null, true, null, null, null);
            assertThat(rules.newEndpoint(PROJECT, BRANCH, "e", never, NOW).noSuspension()).isTrue();
            var tooShort = new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, 10L, null, null, null, null);
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", tooShort, NOW), "spec.suspend_timeout_duration");
        }

        @Test
        void groupDisabledAndSettingsAreCarriedOver() {
            var s = new Specs.EndpointSpec(Endpoint.READ_WRITE, 1.0, 2.0, null, null, true, new Specs.Group(2, 2, true),
                    Map.of("Work_Mem", "8MB"));
            Endpoint e = rules.newEndpoint(PROJECT, BRANCH, "e", s, NOW);
            assertThat(e.groupMin()).isEqualTo(2);
            assertThat(e.groupMax()).isEqualTo(2);
            assertThat(e.enableReadableSecondaries()).isTrue();
            assertThat(e.disabled()).isTrue();
            assertThat(e.pgSettings()).containsExactly(entry("work_mem", "8MB"));
        }

        @Test
        void badGroupOrSettingsRefuseTheEndpoint() {
            var group = new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, null, null, null, new Specs.Group(1, 3, null), null);
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", group, NOW), "spec.group.min");
            var owned = new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, null, null, null, null, Map.of("port", "1"));
            invalid(() -> rules.newEndpoint(PROJECT, BRANCH, "e", owned, NOW), "spec.settings.pg_settings key 'port'", "not a setting a project may change");
        }

        @Test
        void defaultPrimaryIsTheBranchReadWriteCompute() {
            Endpoint e = rules.defaultPrimary(PROJECT, BRANCH, NOW);
            assertThat(e.endpointId()).isEqualTo(Defaults.PRIMARY_ENDPOINT);
            assertThat(e.readWrite()).isTrue();
            assertThat(e.parentName()).isEqualTo(BRANCH.name());
            assertThat(e.minCu()).isEqualTo(0.5);
            assertThat(e.maxCu()).isEqualTo(4);
        }
    }
}
