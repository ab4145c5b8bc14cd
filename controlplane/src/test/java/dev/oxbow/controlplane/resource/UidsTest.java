package dev.oxbow.controlplane.resource;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class UidsTest {
    private final Uids uids = new Uids();

    @Test
    void uidsHaveLakebasePrefixesAndShape() {
        assertThat(uids.project()).matches("proj-[a-z]+-[a-z]+-[a-z0-9]{8}");
        assertThat(uids.branch()).matches("br-[a-z]+-[a-z]+-[a-z0-9]{8}");
        assertThat(uids.endpoint()).matches("ep-[a-z]+-[a-z]+-[a-z0-9]{8}");
    }

    @Test
    void endpointUidsAreValidHostLabels() {
        for (int i = 0; i < 200; i++) {
            String uid = uids.endpoint();
            assertThat(Validate.isId(uid)).as(uid).isTrue();
            // the read-only host adds "-ro"; both must fit a DNS label
            assertThat((uid + "-ro").length()).isLessThanOrEqualTo(63);
        }
    }

    @Test
    void suffixesAreLowerCaseAlphanumeric() {
        assertThat(uids.suffix(32)).hasSize(32).matches("[a-z0-9]+");
        assertThat(uids.suffix(0)).isEmpty();
    }

    @Test
    void uidsDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(uids.branch());
        }
        assertThat(seen).hasSize(2000);
    }
}
