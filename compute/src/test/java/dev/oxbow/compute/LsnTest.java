package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LsnTest {
    @Test
    void parsesFormatsAndOrdersPostgresText() {
        assertThat(Lsn.parse("16/B374D848")).isEqualTo(0x16_B374_D848L);
        assertThat(Lsn.format(Lsn.parse("0/16B3748"))).isEqualTo("0/16B3748");
        assertThat(Lsn.parse("1/0")).isGreaterThan(Lsn.parse("0/FFFFFFFF"));
        assertThat(Lsn.valid("7FFFFFFF/FFFFFFFF")).isTrue();
    }

    @Test
    void refusesWhatIsNoLsnOrBeyondWhatOxbowCanOrder() {
        for (String bad : new String[] {null, "", "0/", "/1", "1/2/3", "G/0", "123456789/0", "80000000/0", "FFFFFFF0/0"}) {
            assertThat(Lsn.valid(bad)).as(String.valueOf(bad)).isFalse();
        }
        assertThatThrownBy(() -> Lsn.parse("FFFFFFF0/0")).isInstanceOf(IllegalArgumentException.class);
    }
}
