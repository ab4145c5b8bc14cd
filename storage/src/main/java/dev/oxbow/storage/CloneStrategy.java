package dev.oxbow.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * How file data reaches a clone on a given filesystem: {@code reflink} shares blocks copy-on-write
 * (btrfs, XFS with reflink=1), so a clone costs metadata only; {@code copy} writes every byte.
 * (Later: btrfs subvolume snapshots, loop-mounted XFS per project.)
 */
public enum CloneStrategy {
    REFLINK("reflink"),
    COPY("copy");

    private final String id;

    CloneStrategy(String id) {
        this.id = id;
    }

    /** The name used in logs and configuration. */
    public String id() {
        return id;
    }

    /** Probes the filesystem holding {@code dir} (or its nearest existing ancestor) with {@code cp --reflink=always}. */
    public static CloneStrategy detect(Path dir) throws IOException {
        Path probeDir = dir.toAbsolutePath().normalize();
        while (!Files.isDirectory(probeDir)) {
            probeDir = probeDir.getParent();
        }
        String nonce = UUID.randomUUID().toString();
        Path source = probeDir.resolve(".oxbow-reflink-probe-" + nonce);
        Path copy = probeDir.resolve(".oxbow-reflink-probe-" + nonce + ".copy");
        try {
            Files.writeString(source, "oxbow reflink probe\n");
            Process cp = new ProcessBuilder("cp", "--reflink=always", source.toString(), copy.toString())
                    .redirectErrorStream(true).start();
            cp.getInputStream().readAllBytes();
            return cp.waitFor() == 0 ? REFLINK : COPY;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return COPY;
        } finally {
            Files.deleteIfExists(source);
            Files.deleteIfExists(copy);
        }
    }
}
