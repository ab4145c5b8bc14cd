package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Memory and CPU limits for computes through Linux cgroups: v1 (memory, cpu, cpuacct hierarchies) or v2
 * (unified), one group per endpoint under {@code oxbow/}. Limits change on a live group; where cgroups are
 * not writable (not root, no delegation) sizes are advisory and {@link #mode()} says so.
 */
public final class Cgroups {
    private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
    private static final long PERIOD_US = 100_000;

    public enum Mode { V1, V2, NONE }

    /** For {@link #limit}: no CPU quota at all. */
    public static final double UNLIMITED_CPUS = Double.POSITIVE_INFINITY;

    private final Path root;
    private final Mode mode;

    private Cgroups(Path root, Mode mode) {
        this.root = root;
        this.mode = mode;
    }

    public static Cgroups none() {
        return new Cgroups(Path.of("/sys/fs/cgroup"), Mode.NONE);
    }

    /** Probes /sys/fs/cgroup by creating (and removing) a group; any failure means NONE. */
    public static Cgroups detect() {
        Path root = Path.of("/sys/fs/cgroup");
        Mode mode = Files.exists(root.resolve("cgroup.controllers")) ? Mode.V2
                : Files.isDirectory(root.resolve("memory")) && Files.isDirectory(root.resolve("cpu")) && Files.isDirectory(root.resolve("cpuacct"))
                ? Mode.V1 : Mode.NONE;
        Cgroups probe = new Cgroups(root, mode);
        if (mode != Mode.NONE) {
            try {
                for (Path dir : probe.dirs("probe")) {
                    Files.createDirectories(dir);
                }
                if (mode == Mode.V2) {
                    Files.writeString(root.resolve("oxbow").resolve("cgroup.subtree_control"), "+cpu +memory");
                }
                probe.remove("probe");
            } catch (IOException | RuntimeException e) {
                log.warn("cgroups not writable, compute sizes are advisory mode={} cause={}", mode, e.getMessage());
                return none();
            }
        }
        log.info("compute resource control mode={}", mode);
        return probe;
    }

    public Mode mode() {
        return mode;
    }

    public boolean available() {
        return mode != Mode.NONE;
    }

    /** The group directories of an endpoint (one per v1 hierarchy, one in v2). */
    List<Path> dirs(String endpointUid) {
        return switch (mode) {
            case V1 -> List.of(root.resolve("memory/oxbow").resolve(endpointUid), root.resolve("cpu/oxbow").resolve(endpointUid),
                    root.resolve("cpuacct/oxbow").resolve(endpointUid));
            case V2 -> List.of(root.resolve("oxbow").resolve(endpointUid));
            case NONE -> List.of();
        };
    }

    /** The cgroup.procs files a process writes its pid into to join the endpoint's groups (created as needed). */
    List<Path> procsFiles(String endpointUid) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs(endpointUid)) {
            Files.createDirectories(dir);
            files.add(dir.resolve("cgroup.procs"));
        }
        return files;
    }

    /** Sets (or changes, on a running group) the memory limit and the CPU quota in cores. */
    public void limit(String endpointUid, long memoryBytes, double cpus) throws IOException {
        if (!available()) {
            return;
        }
        procsFiles(endpointUid);
        boolean unlimited = Double.isInfinite(cpus);
        long quota = Math.max(1000, Math.round(cpus * PERIOD_US));
        if (mode == Mode.V1) {
            Path mem = dirs(endpointUid).get(0);
            Path cpu = dirs(endpointUid).get(1);
            Files.writeString(cpu.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
            Files.writeString(cpu.resolve("cpu.cfs_quota_us"), unlimited ? "-1" : Long.toString(quota));
            Files.writeString(mem.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
        } else {
            Path dir = dirs(endpointUid).get(0);
            Files.writeString(dir.resolve("cpu.max"), (unlimited ? "max" : Long.toString(quota)) + " " + PERIOD_US);
            Files.writeString(dir.resolve("memory.max"), Long.toString(memoryBytes));
        }
    }

    /** CPU time used so far by the group (nanoseconds), and its memory use (bytes). */
    public Optional<Usage> usage(String endpointUid) {
        try {
            if (mode == Mode.V1) {
                long cpu = Long.parseLong(Files.readString(dirs(endpointUid).get(2).resolve("cpuacct.usage")).trim());
                long mem = Long.parseLong(Files.readString(dirs(endpointUid).get(0).resolve("memory.usage_in_bytes")).trim());
                return Optional.of(new Usage(cpu, mem));
            }
            if (mode == Mode.V2) {
                Path dir = dirs(endpointUid).get(0);
                long usec = Files.readAllLines(dir.resolve("cpu.stat")).stream().filter(l -> l.startsWith("usage_usec "))
                        .mapToLong(l -> Long.parseLong(l.substring(11).trim())).findFirst().orElse(0);
                long mem = Long.parseLong(Files.readString(dir.resolve("memory.current")).trim());
                return Optional.of(new Usage(usec * 1000, mem));
            }
        } catch (IOException | RuntimeException e) {
            // group gone or not readable
        }
        return Optional.empty();
    }

    /** Current limits as written in the group's files (for status and tests). */
    public Optional<Limits> limits(String endpointUid) {
        try {
            if (mode == Mode.V1) {
                long quota = Long.parseLong(Files.readString(dirs(endpointUid).get(1).resolve("cpu.cfs_quota_us")).trim());
                long mem = Long.parseLong(Files.readString(dirs(endpointUid).get(0).resolve("memory.limit_in_bytes")).trim());
                return Optional.of(new Limits(mem, quota < 0 ? UNLIMITED_CPUS : quota / (double) PERIOD_US));
            }
            if (mode == Mode.V2) {
                Path dir = dirs(endpointUid).get(0);
                String[] cpu = Files.readString(dir.resolve("cpu.max")).trim().split(" ");
                long mem = Long.parseLong(Files.readString(dir.resolve("memory.max")).trim());
                return Optional.of(new Limits(mem, cpu[0].equals("max") ? UNLIMITED_CPUS : Long.parseLong(cpu[0]) / Double.parseDouble(cpu[1])));
            }
        } catch (IOException | RuntimeException e) {
            // not there
        }
        return Optional.empty();
    }

    /** Removes the endpoint's (empty) groups. */
    public void remove(String endpointUid) {
        for (Path dir : dirs(endpointUid)) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                log.debug("cgroup not removed dir={} cause={}", dir, e.getMessage());
            }
        }
    }

    public record Usage(long cpuNanos, long memoryBytes) {}

    public record Limits(long memoryBytes, double cpus) {}
}
