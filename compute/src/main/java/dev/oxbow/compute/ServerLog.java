package dev.oxbow.compute;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

/** A server's output file: opened for appending by Oxbow and handed to postgres as stdout/stderr. */
final class ServerLog {
    /** Past this size the file is moved to postgres.log.1 at the next start (one generation kept). */
    static final long ROTATE_BYTES = 16L << 20;
    private static final int TAIL_BYTES = 4096;

    private ServerLog() {}

    /** Creates the log directory (private to Oxbow: postgres writes through the inherited descriptor) and rotates. */
    static void prepare(Path logFile, String header) throws IOException {
        Path dir = logFile.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(logFile) && Files.size(logFile) > ROTATE_BYTES) {
            Files.move(logFile, logFile.resolveSibling(logFile.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.exists(logFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(logFile, PosixFilePermissions.asFileAttribute(ProcessIdentity.PRIVATE_FILE));
        }
        Files.writeString(logFile, "---- oxbow " + Instant.now() + " " + header + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The last few lines, for error messages. */
    static String tail(Path logFile) {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long start = Math.max(0, f.length() - TAIL_BYTES);
            byte[] buf = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8);
            if (start > 0 && text.indexOf('\n') >= 0) {
                text = text.substring(text.indexOf('\n') + 1);
            }
            return text.strip();
        } catch (IOException e) {
            return "(no server log at " + logFile + ")";
        }
    }
}
