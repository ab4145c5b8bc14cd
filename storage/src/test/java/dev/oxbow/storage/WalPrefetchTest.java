package dev.oxbow.storage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The prefetching restore_command run by sh as PostgreSQL runs it: in the data directory, %f, %p and %% replaced. */
class WalPrefetchTest {
    private static final Path ZSTD = Path.of("/usr/bin/zstd");
    private static final String TLI = "00000001";

    @TempDir
    Path dir;
    private Path archive;
    private Path data;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Files.isExecutable(ZSTD), "zstd is not installed");
        archive = Files.createDirectories(dir.resolve("wal"));
        data = Files.createDirectories(dir.resolve("pgdata"));
        Files.createDirectories(data.resolve("pg_wal/archive_status"));
    }

    @Test
    void theNextSegmentsAreStagedInPgWalAndTheReplayReadsThemThereOnce() throws Exception {
        for (int seg = 1; seg <= 6; seg++) {
            archiveSegment(name(0, seg));
        }
        assertThat(restore(name(0, 1))).isZero();
        assertThat(Files.readString(data.resolve("pg_wal/RECOVERYXLOG"))).isEqualTo(content(name(0, 1)));
        for (int seg = 2; seg <= 5; seg++) {
            awaitStaged(name(0, seg));
            assertThat(Files.readString(data.resolve("pg_wal/" + name(0, seg)))).isEqualTo(content(name(0, seg)));
            // archived already: the archiver never sends the source's WAL to the new branch's archive
            assertThat(data.resolve("pg_wal/archive_status/" + name(0, seg) + ".done")).exists();
        }
        assertThat(data.resolve(WalPrefetch.DIR).resolve(name(0, 6) + ".claim")).as("only %d ahead", WalPrefetch.AHEAD).doesNotExist();

        Files.delete(data.resolve("pg_wal/RECOVERYXLOG"));
        assertThat(restore(name(0, 2))).as("staged: read from pg_wal").isEqualTo(1);
        assertThat(data.resolve("pg_wal/RECOVERYXLOG")).doesNotExist();
        // asked again (the startup process re-reads a segment at a timeline switch): restored as before
        assertThat(restore(name(0, 2))).isZero();
        assertThat(Files.readString(data.resolve("pg_wal/RECOVERYXLOG"))).isEqualTo(content(name(0, 2)));

        WalPrefetch.clear(data);
        assertThat(data.resolve(WalPrefetch.DIR)).doesNotExist();
    }

    @Test
    void aClearWhileBackgroundDecompressionsStillWriteNotesSucceedsAndLeavesNoDirectory() throws Exception {
        for (int round = 0; round < 50; round++) {
            Path notes = Files.createDirectories(data.resolve(WalPrefetch.DIR));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                // what a background decompression does: files in the directory, never the directory itself
                for (int i = 0; !stop.get(); i++) {
                    try {
                        Files.createFile(notes.resolve(i + ".staged"));
                    } catch (java.io.IOException gone) {
                        Thread.onSpinWait();
                    }
                }
            });
            try {
                Thread.sleep(1);
                WalPrefetch.clear(data);
            } finally {
                stop.set(true);
                writer.join();
            }
            assertThat(notes).doesNotExist();
            try (var left = Files.list(data.resolve("pg_wal"))) {
                assertThat(left.map(p -> p.getFileName().toString())).containsExactly("archive_status");
            }
        }
    }

    @Test
    void pastTheLastSegmentOfALogFileTheNextLogFollows() throws Exception {
        archiveSegment(name(0, 0x3FE));
        archiveSegment(name(0, 0x3FF));
        archiveSegment(name(1, 0));
        assertThat(restore(name(0, 0x3FE))).isZero();
        awaitStaged(name(0, 0x3FF));
        awaitStaged(name(1, 0));
    }

    @Test
    void aSegmentAlreadyInPgWalButNotStagedComesFromTheArchive() throws Exception {
        archiveSegment(name(0, 7));
        // the snapshot's own last segment, partly written: never to be read in place of the archive's
        Files.writeString(data.resolve("pg_wal/" + name(0, 7)), "partial");
        Files.createDirectories(data.resolve(WalPrefetch.DIR));
        assertThat(restore(name(0, 7))).isZero();
        assertThat(Files.readString(data.resolve("pg_wal/RECOVERYXLOG"))).isEqualTo(content(name(0, 7)));

        assertThat(restore("00000002.history")).as("missing: not found, as before").isNotZero();
    }

    private int restore(String file) throws Exception {
        String command = substitute(WalArchive.restoreCommand(archive), file, "pg_wal/RECOVERYXLOG");
        Process p = new ProcessBuilder("sh", "-c", command).directory(data.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        return p.waitFor();
    }

    /** What PostgreSQL's restore_command expansion does: %f, %p, and %% to a single %. */
    private static String substitute(String command, String file, String path) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < command.length(); i++) {
            char ch = command.charAt(i);
            if (ch == '%' && i + 1 < command.length()) {
                char next = command.charAt(++i);
                sb.append(switch (next) {
                    case 'f' -> file;
                    case 'p' -> path;
                    case '%' -> "%";
                    default -> "%" + next;
                });
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    private void awaitStaged(String segment) throws InterruptedException {
        Path staged = data.resolve(WalPrefetch.DIR).resolve(segment + ".staged");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(staged) && System.nanoTime() < deadline) {
            Thread.sleep(10); // a background sh: nothing to wait on but its files
        }
        assertThat(staged).exists();
    }

    private void archiveSegment(String segment) throws Exception {
        Path plain = dir.resolve(segment);
        Files.writeString(plain, content(segment));
        Process p = new ProcessBuilder(List.of(ZSTD.toString(), "-q", "-1", plain.toString(), "-o", archive.resolve(segment + ".zst").toString()))
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        Files.delete(plain);
    }

    private static String content(String segment) {
        return ("WAL of " + segment + "\n").repeat(100);
    }

    private static String name(int log, int seg) {
        return TLI + String.format("%08X%08X", log, seg);
    }
}
