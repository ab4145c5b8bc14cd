package dev.oxbow.server;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HostNameCheckTest {
    @Test
    void saysNothingWhenEndpointNamesResolve() {
        List<String> asked = new ArrayList<>();
        assertThat(HostNameCheck.problem("oxbow.localhost", name -> asked.add(name))).isEmpty();
        assertThat(asked).containsExactly("ep-resolve-check.oxbow.localhost");
    }

    @Test
    void localhostDomainsPointAtNssMyhostname() {
        assertThat(HostNameCheck.problem("oxbow.localhost", name -> false)).hasValueSatisfying(line -> assertThat(line)
                .contains("ep-resolve-check.oxbow.localhost", "scripts/setup", "libnss-myhostname", "/etc/nsswitch.conf", "hostaddr=127.0.0.1")
                .doesNotContain("\n"));
    }

    @Test
    void realDomainsNameTheDnsRecords() {
        assertThat(HostNameCheck.problem("pg.example.com", name -> false))
                .hasValueSatisfying(line -> assertThat(line).contains("*.pg.example.com and pg.example.com"));
    }
}
