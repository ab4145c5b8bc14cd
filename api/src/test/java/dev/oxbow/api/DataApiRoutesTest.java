package dev.oxbow.api;

import dev.oxbow.dataapi.PostgrestException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Data API's query string: order and repeats kept, browser encodings decoded, bad escapes refused. */
class DataApiRoutesTest {
    @Test
    void keepsOrderAndRepeatsAndDecodes() {
        assertThat(DataApiRoutes.query("id=gte.1&id=lte.9&title=ilike.*the%20lathe*&or=(a.eq.1,b.eq.2)&name=eq.a+b&flag"))
                .containsExactly(Map.entry("id", "gte.1"), Map.entry("id", "lte.9"), Map.entry("title", "ilike.*the lathe*"),
                        Map.entry("or", "(a.eq.1,b.eq.2)"), Map.entry("name", "eq.a b"), Map.entry("flag", ""));
        assertThat(DataApiRoutes.query(null)).isEmpty();
    }

    @Test
    void refusesBrokenPercentEncoding() {
        assertThatThrownBy(() -> DataApiRoutes.query("id=eq.%zz"))
                .isInstanceOfSatisfying(PostgrestException.class, e -> assertThat(e.status()).isEqualTo(400));
    }
}
