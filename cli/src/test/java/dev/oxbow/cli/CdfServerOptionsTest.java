package dev.oxbow.cli;

import dev.oxbow.controlplane.cdf.CdfSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code oxbow server}'s change-feed flags reach {@link CdfSettings}; flags not given keep the defaults. */
class CdfServerOptionsTest {
    private static CdfSettings parse(String... args) {
        ServerCommand command = new ServerCommand();
        new CommandLine(command).parseArgs(args);
        return command.cdf.settings(CdfSettings.defaults());
    }

    @Test
    void flagsSetTheLimitTheDropAndTheBatchesAndTheRestStaysDefault() {
        CdfSettings s = parse("--cdf-max-retained-wal-mb", "64", "--cdf-drop-slot-on-limit", "false", "--cdf-batch-rows", "500",
                "--cdf-batch-interval", "250");
        assertThat(s.maxRetainedWalBytes()).isEqualTo(64L << 20);
        assertThat(s.dropOnLimit()).isFalse();
        assertThat(s.batchRows()).isEqualTo(500);
        assertThat(s.batchInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.streamFor()).isEqualTo(CdfSettings.defaults().streamFor());
        assertThat(parse()).isEqualTo(CdfSettings.defaults());
    }

    @Test
    void aNonPositiveBatchOrLimitIsRefused() {
        assertThatThrownBy(() -> parse("--cdf-batch-rows", "0")).hasMessageContaining("--cdf-batch-rows");
        assertThatThrownBy(() -> parse("--cdf-max-retained-wal-mb", "-1")).hasMessageContaining("--cdf-max-retained-wal-mb");
    }
}
