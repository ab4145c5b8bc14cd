package dev.oxbow.api;

import dev.oxbow.controlplane.resource.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Protobuf JSON scalars as the SDKs write and parse them. */
class WireTest {
    @Test
    void timestampsAreUtcWithZAndAtMostMicroseconds() {
        assertThat(Wire.timestamp(Instant.parse("2026-01-02T03:04:05Z"))).isEqualTo("2026-01-02T03:04:05Z");
        assertThat(Wire.timestamp(Instant.parse("2026-01-02T03:04:05.123456789Z"))).isEqualTo("2026-01-02T03:04:05.123456Z");
        assertThat(Wire.timestamp(Instant.parse("2026-01-02T03:04:05.120Z"))).isEqualTo("2026-01-02T03:04:05.120Z");
    }

    @ParameterizedTest
    @CsvSource({"2026-01-02T03:04:05Z,2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123456Z,2026-01-02T03:04:05.123456Z",
            "2026-01-02T04:04:05+01:00,2026-01-02T03:04:05Z", "2026-01-02T03:04:05.5-00:30,2026-01-02T03:34:05.500Z"})
    void timestampsParseWithAnyOffset(String text, String instant) {
        assertThat(Wire.parseTimestamp("spec.expire_time", text)).isEqualTo(Instant.parse(instant));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-01-02", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05", "yesterday", ""})
    void otherTimestampsAreRefusedNamingTheField(String text) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> Wire.parseTimestamp("spec.source_branch_time", text));
        assertThat(e.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(e.getMessage()).contains("Field spec.source_branch_time", "RFC 3339", "'" + text + "'");
    }

    @Test
    void durationsAreWholeSecondsWithAnS() {
        assertThat(Wire.duration(604800)).isEqualTo("604800s");
        assertThat(Wire.duration(0)).isEqualTo("0s");
    }

    @ParameterizedTest
    @CsvSource({"300s,300", "3600s,3600", "0s,0", "1.5s,2", "1.000000001s,2", "299.000s,299", "' 60s ',60", "-5s,-5"})
    void durationsParseAndFractionsRoundUp(String text, long seconds) {
        assertThat(Wire.parseDuration("spec.ttl", text)).isEqualTo(seconds);
    }

    @ParameterizedTest
    @ValueSource(strings = {"300", "5m", "PT5M", "1.5", "s", "1.1234567891s", "1e3s", ""})
    void otherDurationsAreRefusedNamingTheField(String text) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> Wire.parseDuration("spec.suspend_timeout_duration", text));
        assertThat(e.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(e.getMessage()).contains("Field spec.suspend_timeout_duration", "\"300s\"");
    }
}
