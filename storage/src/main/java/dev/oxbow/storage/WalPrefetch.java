package dev.oxbow.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A restore_command that decompresses the next segments of a compressed archive ahead of the replay, so the startup
 * process (which runs one restore_command at a time and waits for it) does not wait for zstd segment after segment.
 * <p>
 * Asked for segment N, the command restores N as before and starts, in the background, the decompression of the next
 * {@link #AHEAD} segments straight into pg_wal under their own names, each marked {@code .done} (already archived:
 * the archiver never sends the source's WAL to the new branch's archive) and then noted as staged in {@link #DIR}. Asked
 * for a staged segment, the command fails at once, so the startup process reads the file from pg_wal, as it does with
 * any segment it finds there after a failed restore: no decompression, no copy, none of the fsyncs and the rename of a
 * restored file on the replay's path. A segment asked for before its background decompression is done is restored
 * inline, as before (the duplicate work is all it costs).
 * <p>
 * Only staged notes this recovery's own command wrote are trusted: {@link #clear} removes the directory before the
 * recovery starts (a copied data directory may hold another one's) and after it ends. A segment that happens to be in
 * pg_wal already (the snapshot's own last, maybe partial, segment) is never used unstaged: the archive's wins, as
 * without prefetching. A background decompression still running when the recovery ends may have left a complete
 * segment of the source's timeline (marked {@code .done}, so a checkpoint removes it) in pg_wal before the clear, never
 * a note after it (the clear renames the directory away first); segments appear there only by rename, never half written.
 */
public final class WalPrefetch {
    /** In pg_wal (so a rename into pg_wal stays on one file system): claims and staged notes, one per segment. */
    public static final String DIR = "pg_wal/oxbow-prefetch";
    /** Segments decompressed ahead of the one the replay asks for (4 MB each: 16 MB of disk at most). */
    static final int AHEAD = 4;

    private WalPrefetch() {}

    /**
     * The restore_command for a zstd-compressed archive in {@code dir} (absolute, no single quote), run by PostgreSQL in
     * the data directory as the compute's user. POSIX sh only (dash): parameter expansion, arithmetic, builtins.
     */
    static String restoreCommand(String dir, String zstd) {
        String script = "a='" + dir + "'; s=" + DIR + "; f='{F}'; "
                // staged by an earlier call of this recovery: pg_wal holds it; failing makes the startup process read it there
                + "if [ -f \"$s/$f.staged\" ] && [ -f \"pg_wal/$f\" ]; then rm -f \"$s/$f.staged\"; exit 1; fi; "
                + "if [ -f \"$a/$f.zst\" ]; then " + zstd + " -q -d -f \"$a/$f.zst\" -o '{P}'; r=$?; else cp \"$a/$f\" '{P}'; r=$?; fi; "
                // a segment name (24 hex digits: timeline, log, segment): decompress the next ones in the background
                + "if [ $r = 0 ] && [ ${#f} = 24 ] && [ -f \"$a/$f.zst\" ] && mkdir -p \"$s\" 2>/dev/null; then ( "
                + "t=${f%????????????????}; x=${f#????????}; l=$((0x${x%????????})); g=$((0x${x#????????})); i=0; "
                + "while [ $i -lt " + AHEAD + " ]; do i=$((i+1)); g=$((g+1)); n=$(printf '%s%08X%08X' $t $l $g); "
                // past the last segment of a log file the next is segment 0 of the next log (whatever the segment size)
                + "if [ ! -f \"$a/$n.zst\" ]; then l=$((l+1)); g=0; n=$(printf '%s%08X%08X' $t $l $g); [ -f \"$a/$n.zst\" ] || break; fi; "
                + "mkdir \"$s/$n.claim\" 2>/dev/null || continue; "
                + zstd + " -q -d -f \"$a/$n.zst\" -o \"$s/$n.part\" && mv -f \"$s/$n.part\" \"pg_wal/$n\" "
                + "&& : > \"pg_wal/archive_status/$n.done\" && : > \"$s/$n.staged\"; "
                + "done ) </dev/null >/dev/null 2>&1 & fi; exit $r";
        // PostgreSQL replaces %f and %p and turns %% into %: every other % of the script is doubled
        return script.replace("%", "%%").replace("{F}", "%f").replace("{P}", "%p");
    }

    /**
     * Removes the claims and staged notes in {@code dataDir} (the staged segments themselves are ordinary WAL). The
     * directory is first renamed away, so a background decompression still running cannot add a file to it while it is
     * walked (its next claim or output then fails for want of the directory: nothing more is staged).
     */
    public static void clear(Path dataDir) throws IOException {
        Path dir = dataDir.resolve(DIR);
        Path walDir = dir.getParent();
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(dir, walDir.resolve(CLEARED + UUID.randomUUID()), StandardCopyOption.ATOMIC_MOVE);
        }
        if (!Files.isDirectory(walDir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // this clear's own and any an interrupted clear left
        try (DirectoryStream<Path> cleared = Files.newDirectoryStream(walDir, CLEARED + "*")) {
            for (Path old : cleared) {
                deleteTree(old);
            }
        }
    }

    private static final String CLEARED = "oxbow-prefetch.cleared-";

    private static void deleteTree(Path root) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
                return;
            } catch (DirectoryNotEmptyException | UncheckedIOException e) {
                // a decompression that had opened its output before the rename finished writing it there
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }
}
