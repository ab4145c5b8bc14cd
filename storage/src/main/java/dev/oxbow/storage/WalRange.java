package dev.oxbow.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The WAL segment files a base backup needs: from the segment of its starting checkpoint (named in the
 * backup label) through a last segment, on the same timeline, plus the timeline history files.
 * Segment names are 24 upper-case hex digits (timeline, log, segment), so within one timeline their
 * string order is their WAL order.
 */
record WalRange(String firstSegment, String lastSegment) {
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");
    private static final Pattern LABEL_START = Pattern.compile("^START WAL LOCATION: \\S+ \\(file ([0-9A-F]{24})\\)$", Pattern.MULTILINE);

    static WalRange of(String firstSegment, String lastSegment) {
        if (!SEGMENT.matcher(firstSegment).matches() || !SEGMENT.matcher(lastSegment).matches()) {
            throw new IllegalArgumentException("not WAL segment names: " + firstSegment + ", " + lastSegment);
        }
        if (!timeline(firstSegment).equals(timeline(lastSegment)) || firstSegment.compareTo(lastSegment) > 0) {
            throw new IllegalArgumentException("not a WAL range on one timeline: " + firstSegment + " .. " + lastSegment);
        }
        return new WalRange(firstSegment, lastSegment);
    }

    /** The segment named on the backup label's "START WAL LOCATION" line. */
    static String startSegment(String labelFile) {
        Matcher m = LABEL_START.matcher(labelFile);
        if (!m.find()) {
            throw new IllegalArgumentException("backup label has no START WAL LOCATION line:\n" + labelFile);
        }
        return m.group(1);
    }

    /**
     * The name of the segment holding the last byte before {@code endLsn}: everything up to (excluding)
     * {@code endLsn} is in that segment or earlier ones. (pg_walfile_name cannot be used: for an LSN on a
     * segment boundary PostgreSQL 17 names the next, possibly not yet existing, segment and 16 the previous.)
     */
    static String segmentBefore(String timeline, long endLsn, long segmentSize) {
        long segno = (endLsn - 1) / segmentSize;
        long segmentsPerId = 0x1_0000_0000L / segmentSize;
        return String.format("%s%08X%08X", timeline, segno / segmentsPerId, segno % segmentsPerId);
    }

    /** The timeline part of a segment name. */
    static String timeline(String segment) {
        return segment.substring(0, 8);
    }

    /** True for a file of pg_wal the copy must take. */
    boolean needs(String fileName) {
        if (HISTORY.matcher(fileName).matches()) {
            return true;
        }
        return SEGMENT.matcher(fileName).matches() && timeline(fileName).equals(timeline(firstSegment))
                && fileName.compareTo(firstSegment) >= 0 && fileName.compareTo(lastSegment) <= 0;
    }

    /**
     * The range's ends missing from {@code present}. Segments are only ever removed from the old end, so
     * with both ends present the ones between are too.
     */
    List<String> missingFrom(List<String> present) {
        List<String> missing = new ArrayList<>();
        for (String end : List.of(firstSegment, lastSegment)) {
            if (!present.contains(end) && !missing.contains(end)) {
                missing.add(end);
            }
        }
        return missing;
    }
}
