package dev.oxbow.auth;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * An exclusive lock on a file, held across processes (the CLI and the server may both create the CA) and across
 * threads of this JVM (where the OS lock is per process, so Java reports an overlap instead of blocking).
 */
final class DirectoryLock implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long RETRY_MILLIS = 20;

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DirectoryLock acquire(Path lockFile) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        FileChannel channel = FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(SecureFiles.PRIVATE_MODE));
        try {
            while (true) {
                try {
                    return new DirectoryLock(channel, channel.lock());
                } catch (OverlappingFileLockException heldByAnotherThread) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("timed out waiting for lock " + lockFile);
                    }
                    Thread.sleep(RETRY_MILLIS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new InterruptedIOException("interrupted waiting for lock " + lockFile);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
