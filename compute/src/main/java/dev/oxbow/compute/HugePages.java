package dev.oxbow.compute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The kernel's pool of huge pages ({@code HugePages_*} in /proc/meminfo). A compute's main shared memory is mapped
 * with them when enough are free (PostgreSQL's {@code huge_pages=try}, which Oxbow enforces): 512x fewer page faults
 * while a start initialises it, about half a wake's CPU at the default endpoint size. When too few are free the start
 * falls back to normal pages, so the pool only ever makes a start faster. Reserved by {@code scripts/setup} as root.
 *
 * @param total    pages in the pool ({@code HugePages_Total})
 * @param free     pages no process has touched yet ({@code HugePages_Free}); some may be promised to a mapping
 * @param reserved pages promised to mappings but not touched yet ({@code HugePages_Rsvd}); a new mapping gets
 *                 at most {@code free - reserved}
 * @param pageKb   the default huge page size ({@code Hugepagesize}), the size PostgreSQL's {@code huge_page_size=0} uses
 */
public record HugePages(long total, long free, long reserved, long pageKb) {
    public static final Path MEMINFO = Path.of("/proc/meminfo");
    /**
     * Shared memory of a compute at the default endpoint size (4 CU max: max_connections 839, shared_buffers 128 MB),
     * as PostgreSQL 17 reports it ({@code postgres -C shared_memory_size}: 178 MB, 89 pages of 2 MB); scripts/setup
     * sizes its reservation from the same figure.
     */
    public static final long DEFAULT_COMPUTE_SHARED_MEMORY_BYTES = 178L << 20;

    /** The pool as /proc/meminfo describes it; empty where the file or its huge-page lines are missing. */
    public static Optional<HugePages> read() {
        try {
            return parse(Files.readString(MEMINFO));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static Optional<HugePages> parse(String meminfo) {
        Long total = null;
        Long free = null;
        long reserved = 0;
        Long pageKb = null;
        for (String line : meminfo.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length < 2) {
                continue;
            }
            switch (parts[0]) {
                case "HugePages_Total:" -> total = Long.parseLong(parts[1]);
                case "HugePages_Free:" -> free = Long.parseLong(parts[1]);
                case "HugePages_Rsvd:" -> reserved = Long.parseLong(parts[1]);
                case "Hugepagesize:" -> pageKb = Long.parseLong(parts[1]);
                default -> { }
            }
        }
        if (total == null || free == null || pageKb == null || pageKb <= 0) {
            return Optional.empty();
        }
        return Optional.of(new HugePages(total, free, reserved, pageKb));
    }

    /** Pages a new mapping can still get. */
    public long available() {
        return Math.max(0, free - reserved);
    }

    /** Huge pages a mapping of {@code bytes} takes (PostgreSQL rounds its shared memory up to whole pages). */
    public long pagesFor(long bytes) {
        long pageBytes = pageKb * 1024;
        return (bytes + pageBytes - 1) / pageBytes;
    }

    /** Whether a mapping of {@code bytes} fits in what is left of the pool now. */
    public boolean fits(long bytes) {
        return pagesFor(bytes) <= available();
    }

    /** One line for the server's start-up log: what an operator needs to know whether wakes get them. */
    public String describe() {
        if (total == 0) {
            return "huge pages: none reserved (vm.nr_hugepages=0), so computes map their shared memory with 4 kB pages"
                    + " (about 50 ms more CPU per wake at 4 CU); as root, scripts/setup reserves some";
        }
        return "huge pages: total=" + total + " free=" + free + " reserved=" + reserved + " size_kb=" + pageKb
                + " computes_at_4cu_fitting=" + available() / Math.max(1, pagesFor(DEFAULT_COMPUTE_SHARED_MEMORY_BYTES))
                + " (a start with too few left falls back to 4 kB pages)";
    }
}
