package dev.oxbow.compute;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Collects listener calls as "restarted uid exitCode attempt" / "degraded uid reason" lines. */
final class RecordingListener implements ComputeListener {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @Override
    public void restarted(String endpointUid, int exitCode, int attempt) {
        events.add("restarted " + endpointUid + " " + exitCode + " " + attempt);
    }

    @Override
    public void degraded(String endpointUid, String reason) {
        events.add("degraded " + endpointUid + " " + reason);
    }

    String next() throws InterruptedException {
        String e = events.poll(20, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no listener call within 20 s");
        }
        return e;
    }
}
