package dev.oxbow.proxy;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class LoginTimelineTest {
    @Test
    void stepsAreMicrosecondsSinceTheAcceptAndSkippedStepsADash() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        LoginTimeline timeline = new LoginTimeline(now::get);
        now.addAndGet(812_000);
        timeline.mark(LoginTimeline.Step.TLS_DONE);
        now.addAndGet(200_000);
        timeline.mark(LoginTimeline.Step.STARTUP);
        now.addAndGet(3_000_000);
        timeline.ready("projects/p/branches/b/endpoints/e", false, true);
        assertThat(timeline.line()).isEqualTo("tls_done_us=812 startup_us=1012 password_us=- checked_us=- acquired_us=- "
                + "backend_connected_us=- backend_ready_us=4012");
    }
}
