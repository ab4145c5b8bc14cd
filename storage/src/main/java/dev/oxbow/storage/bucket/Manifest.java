package dev.oxbow.storage.bucket;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot's manifest, as text: a header of {@code key=value} lines, then one line per directory
 * ({@code d <mode> <path>}) or file ({@code f <mode> <size> <sha-256,...> <path>}); the path comes last
 * so it may hold spaces.
 */
record Manifest(String lsn, Instant time, String startSegment, List<Entry> entries) {
    record Entry(String path, boolean directory, long size, String mode, List<String> chunks) {}

    String format() {
        StringBuilder b = new StringBuilder("oxbow-snapshot=1\nlsn=").append(lsn).append("\ntime=").append(time)
                .append("\nstart_segment=").append(startSegment).append("\n\n");
        for (Entry e : entries) {
            if (e.directory()) {
                b.append("d ").append(e.mode()).append(' ').append(e.path()).append('\n');
            } else {
                b.append("f ").append(e.mode()).append(' ').append(e.size()).append(' ')
                        .append(e.chunks().isEmpty() ? "-" : String.join(",", e.chunks())).append(' ').append(e.path()).append('\n');
            }
        }
        return b.toString();
    }

    static Manifest parse(String text) {
        String lsn = null;
        Instant time = null;
        String start = null;
        List<Entry> entries = new ArrayList<>();
        boolean body = false;
        for (String line : text.split("\n")) {
            if (!body) {
                if (line.isEmpty()) {
                    body = true;
                } else if (line.startsWith("lsn=")) {
                    lsn = line.substring(4);
                } else if (line.startsWith("time=")) {
                    time = Instant.parse(line.substring(5));
                } else if (line.startsWith("start_segment=")) {
                    start = line.substring(14);
                }
                continue;
            }
            if (line.isEmpty()) {
                continue;
            }
            String[] p = line.split(" ", line.startsWith("d ") ? 3 : 5);
            if (p[0].equals("d")) {
                entries.add(new Entry(p[2], true, 0, p[1], List.of()));
            } else {
                entries.add(new Entry(p[4], false, Long.parseLong(p[2]), p[1], p[3].equals("-") ? List.of() : List.of(p[3].split(","))));
            }
        }
        if (lsn == null || time == null || start == null) {
            throw new IllegalArgumentException("not an Oxbow snapshot manifest");
        }
        return new Manifest(lsn, time, start, entries);
    }
}
