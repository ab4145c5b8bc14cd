package dev.oxbow.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time spent by a process (user + system, from {@code /proc/<pid>/stat}) or by this JVM's threads whose names
 * start with a prefix (the proxy's event loops), read before and after a bench round: the round's CPU ÷ its
 * transactions is the CPU each relayed transaction costs, which tps alone hides on a shared machine.
 */
final class CpuMeter {
    /** Linux reports utime/stime in clock ticks of 1/100 s on every architecture the bench runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private CpuMeter() {}

    /** User + system CPU of process {@code pid} so far, in nanoseconds; 0 when it is gone. */
    static long processNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** Bytes allocated on the Java heap so far by this JVM's live threads named {@code prefix}…. */
    static long threadAllocatedBytes(String prefix) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                sum += Math.max(0, mx.getThreadAllocatedBytes(t.threadId()));
            }
        }
        return sum;
    }

    /**
     * CPU so far of each group of this process's threads, by their kernel name with digits dropped ("C2 CompilerThre",
     * "GC Thread#", "oxbow-proxy-loo"): shows the JVM's own threads (JIT, GC), which {@link #threadNanos} cannot see.
     */
    static java.util.Map<String, Long> threadGroupNanos() {
        java.util.Map<String, Long> groups = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    groups.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK, Long::sum);
                } catch (java.io.IOException ended) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            return groups;
        }
        return groups;
    }

    /** CPU of this JVM's live threads named {@code prefix}…, in nanoseconds. */
    static long threadNanos(String prefix) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                long cpu = mx.getThreadCpuTime(t.threadId());
                sum += Math.max(0, cpu);
            }
        }
        return sum;
    }
}
