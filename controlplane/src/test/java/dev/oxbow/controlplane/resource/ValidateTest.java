package dev.oxbow.controlplane.resource;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class ValidateTest {
    private static final Limits LIMITS = Limits.defaults();

    @Nested
    class Ids {
        @ParameterizedTest
        @ValueSource(strings = {"a", "p1", "production", "my-branch-2", "a0", "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz"})
        void acceptsDnsLabels(String id) {
            assertThat(id.length()).isLessThanOrEqualTo(63);
            assertThat(Validate.id("branch_id", id)).isEqualTo(id);
            assertThat(Validate.isId(id)).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {"1abc", "-abc", "abc-", "Abc", "a_b", "a.b", "a b", "é", "ab/c",
                "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz0"})
        void refusesAnythingElseNamingFieldPatternAndValue(String id) {
            invalid(() -> Validate.id("database_id", id), "Field database_id", Validate.ID_PATTERN, "'" + id + "'");
            assertThat(Validate.isId(id)).isFalse();
        }

        @ParameterizedTest
        @NullAndEmptySource
        void missingIdIsRequiredInTheServicesWording(String id) {
            invalid(() -> Validate.id("project_id", id), "Field 'project_id' is required, expected non-default value (not \"\")!");
            assertThat(Validate.isId(id)).isFalse();
        }

        @Test
        void longIdsNeedFourCharacters() {
            assertThat(Validate.longId("role_id", "abcd")).isEqualTo("abcd");
            invalid(() -> Validate.longId("role_id", "abc"), "Field role_id", "4 to 63 characters", "'abc'");
            invalid(() -> Validate.longId("role_id", "Abcd"), "Field role_id", Validate.ID_PATTERN);
            invalid(() -> Validate.longId("role_id", null), "'role_id' is required");
        }
    }

    @Nested
    class ComputeSizes {
        @ParameterizedTest(name = "{0}-{1} CU")
        @CsvSource({"0.5,0.5", "0.5,4", "0.5,8", "1,9", "16,24", "24,32", "28,32", "32,32", "36,36", "64,64", "112,112", "3,3"})
        void acceptsLakebaseSizes(double min, double max) {
            assertThatCode(() -> Validate.cuRange("spec.", min, max, LIMITS)).doesNotThrowAnyException();
        }

        @ParameterizedTest(name = "min {0} CU")
        @ValueSource(doubles = {0, 0.25, 0.75, 1.5, 17, 20, 25, 33, -1, 120})
        void refusesOtherMinimumsNamingTheField(double min) {
            invalid(() -> Validate.cuRange("spec.", min, 32, LIMITS), "Field spec.autoscaling_limit_min_cu", "invalid compute size");
        }

        @ParameterizedTest(name = "max {0} CU")
        @ValueSource(doubles = {0, 2.5, 18, 30, 113, 128})
        void refusesOtherMaximumsNamingTheField(double max) {
            invalid(() -> Validate.cuRange("spec.", 0.5, max, LIMITS), "Field spec.autoscaling_limit_max_cu", "invalid compute size");
        }

        @Test
        void maxBelowMinNamesBothFieldsWithThePrefix() {
            invalid(() -> Validate.cuRange("spec.default_endpoint_settings.", 4, 2, LIMITS),
                    "spec.default_endpoint_settings.autoscaling_limit_max_cu (2)",
                    "spec.default_endpoint_settings.autoscaling_limit_min_cu (4)");
        }

        @Test
        void sizesAboveTheAutoscaleLimitAreFixed() {
            invalid(() -> Validate.cuRange("spec.", 32, 36, LIMITS), "fixed size", "spec.autoscaling_limit_min_cu", "(36)");
        }

        @Test
        void rangeWiderThanTheSpreadIsRefused() {
            invalid(() -> Validate.cuRange("spec.", 1, 10, LIMITS), "1-10 CU is too wide", "at most 8 CU");
            invalid(() -> Validate.cuRange("spec.", 0.5, 9, LIMITS), "0.5-9 CU is too wide");
        }

        @Test
        void raisedLimitsAllowWholeSizesUpToTheNewMaximum() {
            Limits raised = new Limits(64, 16, 500, 1, 20, 500, 500, 30L * 86400, 60, 7L * 86400, 2L * 86400, 35L * 86400, 1000);
            assertThatCode(() -> Validate.cuRange("spec.", 48, 64, raised)).doesNotThrowAnyException();
            assertThatCode(() -> Validate.cuRange("spec.", 33, 40, raised)).doesNotThrowAnyException();
            invalid(() -> Validate.cuRange("spec.", 48, 65, raised), "spec.autoscaling_limit_max_cu");
        }
    }

    @Nested
    class SuspendTimeouts {
        @ParameterizedTest
        @ValueSource(longs = {60, 300, 86400, 604800})
        void acceptsOneMinuteToSevenDays(long seconds) {
            assertThatCode(() -> Validate.suspendTimeout("spec.suspend_timeout_duration", seconds, LIMITS)).doesNotThrowAnyException();
        }

        @ParameterizedTest
        @ValueSource(longs = {0, 59, 604801, -300})
        void refusesOthersNamingFieldBoundsAndTheWayOut(long seconds) {
            invalid(() -> Validate.suspendTimeout("spec.suspend_timeout_duration", seconds, LIMITS),
                    "Field spec.suspend_timeout_duration", "60s", "604800s", "got " + seconds + "s", "no_suspension");
        }
    }

    @Test
    void formatsWholeNumbersWithoutAFraction() {
        assertThat(Validate.fmt(4.0)).isEqualTo("4");
        assertThat(Validate.fmt(0.5)).isEqualTo("0.5");
        assertThat(Validate.fmt(112)).isEqualTo("112");
    }
}
