package dev.oxbow.compute;

import java.nio.file.Path;
import java.util.Map;

/** A stand-in Oxbow process for {@link ParentDeathTest}: starts one server, reports its pid, then waits to be killed. */
public final class ParentDeathChild {
    public static void main(String[] args) throws Exception {
        LocalComputeRuntime runtime = new LocalComputeRuntime(TestPostgres.binaries(), TestPostgres.identity());
        RunningCompute rc = runtime.start(new ComputeSpec("ep-child", "tenant-a", 17, Path.of(args[0]), Path.of(args[1]), Map.of()));
        System.out.println("started pid=" + rc.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
