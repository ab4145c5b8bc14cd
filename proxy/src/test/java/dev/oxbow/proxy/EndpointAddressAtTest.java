package dev.oxbow.proxy;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The past point of a time-travel session, from the startup options or the host name, and the refusals of malformed ones. */
class EndpointAddressAtTest {
    private static final String DOMAIN = "db.example.com";

    static EndpointAddress parsed(String sni, String options) {
        EndpointAddress.Result r = EndpointAddress.parse(sni, DOMAIN, options);
        assertThat(r.error()).isNull();
        return r.address().orElseThrow();
    }

    static EndpointAddress.Result refused(String sni, String options) {
        EndpointAddress.Result r = EndpointAddress.parse(sni, DOMAIN, options);
        assertThat(r.address()).isEmpty();
        return r;
    }

    @Test
    void optionsNameATimeWithAnOffsetOrAnLsnAndKeepTheirOtherOptions() {
        EndpointAddress a = parsed(null, "endpoint=ep-abc at=2026-11-30T10:00:00+01:00 -c search_path=x");
        assertThat(a.endpointUid()).isEqualTo("ep-abc");
        assertThat(a.at()).isEqualTo(new PastPoint(null, Instant.parse("2026-11-30T09:00:00Z")));
        assertThat(a.remainingOptions()).isEqualTo("-c search_path=x");
        assertThat(parsed(null, "--endpoint=ep-abc --at=0/16b3748").at()).isEqualTo(new PastPoint("0/16B3748", null));
        assertThat(parsed(null, "endpoint%3Dep-abc at%3D2026-11-30t09:00:00.25z").at().time()).isEqualTo(Instant.parse("2026-11-30T09:00:00.25Z"));
        assertThat(parsed(null, "endpoint=ep-abc").at()).isNull();
    }

    @Test
    void theHostNameFormCarriesUnixSeconds() {
        EndpointAddress a = parsed("ep-abc--at-1764493200." + DOMAIN, null);
        assertThat(a.endpointUid()).isEqualTo("ep-abc");
        assertThat(a.at()).isEqualTo(new PastPoint(null, Instant.ofEpochSecond(1764493200)));
        assertThat(parsed("ep-abc-pooler--at-5." + DOMAIN, null).endpointUid()).isEqualTo("ep-abc-pooler");
        // the same point in both places is fine, two different ones are not
        assertThat(parsed("ep-abc--at-1764493200." + DOMAIN, "at=2025-11-30T09:00:00Z").at().time()).isEqualTo(Instant.ofEpochSecond(1764493200));
        assertThat(refused("ep-abc--at-1764493200." + DOMAIN, "at=0/1").error()).contains("the host name asks for");
    }

    @Test
    void malformedPointsAreRefusedWithInvalidParameterValue() {
        for (String options : new String[]{"endpoint=ep-abc at=yesterday", "endpoint=ep-abc at=2026-11-30T09:00:00", "endpoint=ep-abc at=",
                "endpoint=ep-abc at=1/2/3", "endpoint=ep-abc at=0/1 at=0/2", "endpoint=ep-abc at=FFFFFFF0/0"}) {
            EndpointAddress.Result r = refused(null, options);
            assertThat(r.sqlState()).as(options).isEqualTo("22023");
        }
        assertThat(refused(null, "endpoint=ep-abc at=noon").error()).contains("RFC 3339").contains("LSN");
        EndpointAddress.Result host = refused("ep-abc--at-soon." + DOMAIN, null);
        assertThat(host.sqlState()).isEqualTo("22023");
        assertThat(host.error()).contains("host name");
        assertThat(refused(null, "endpoint=EP!").sqlState()).isEqualTo("08004");
    }
}
