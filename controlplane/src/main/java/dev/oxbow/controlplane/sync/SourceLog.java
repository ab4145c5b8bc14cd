package dev.oxbow.controlplane.sync;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * How far a synced table's Delta source is ahead of Postgres, from the commit files alone ({@code _delta_log/<version>.json}):
 * a cheap check for polls and status reads, which never parse the log. Sources are local directories.
 */
final class SourceLog {
    /** Counting stops here: the status only needs to say "ahead", and a far-behind table should not cost a long walk. */
    static final int MAX_COUNTED = 1000;

    private SourceLog() {}

    /** The newest commit version after {@code synced} (at most {@link #MAX_COUNTED} ahead), or {@code synced} when there is none. */
    static long newestAfter(String location, long synced) {
        Path log = root(location).resolve("_delta_log");
        long v = synced;
        // a link is not followed: its target's existence is not for a source's owner to probe
        while (v - synced < MAX_COUNTED && Files.exists(log.resolve(String.format("%020d.json", v + 1)), LinkOption.NOFOLLOW_LINKS)) {
            v++;
        }
        return v;
    }

    private static Path root(String location) {
        return location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
    }
}
