package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Who postgres runs as. PostgreSQL refuses to run as root, so when Oxbow is root every postgres and
 * initdb runs as an unprivileged user through {@code setpriv}, which execs: Oxbow stays the direct parent.
 * {@code --pdeathsig SIGINT} makes a server shut down fast if Oxbow itself is killed.
 */
public final class ProcessIdentity {
    private static final Logger log = LoggerFactory.getLogger(ProcessIdentity.class);

    private final boolean root;
    private final String user;
    private final int uid;
    private final int gid;

    private ProcessIdentity(boolean root, String user, int uid, int gid) {
        this.root = root;
        this.user = user;
        this.uid = uid;
        this.gid = gid;
    }

    /** As root: postgres runs as {@code pgUser} (which must exist); otherwise as the current user. */
    public static ProcessIdentity detect(String pgUser) throws ComputeException {
        if (currentUid() != 0) {
            return new ProcessIdentity(false, System.getProperty("user.name"), -1, -1);
        }
        try {
            int uid = Integer.parseInt(run("id", "-u", pgUser));
            int gid = Integer.parseInt(run("id", "-g", pgUser));
            if (uid == 0) {
                throw new ComputeException("OS user '" + pgUser + "' is root; PostgreSQL needs an unprivileged user (see scripts/setup).");
            }
            return new ProcessIdentity(true, pgUser, uid, gid);
        } catch (IOException | NumberFormatException e) {
            throw new ComputeException("Oxbow runs as root and needs the unprivileged OS user '" + pgUser
                    + "' to run PostgreSQL; create it with scripts/setup (or choose another with --pg-user).", e);
        }
    }

    public boolean root() {
        return root;
    }

    public String user() {
        return user;
    }

    /** The command as it must be launched: under setpriv, with a parent-death signal. */
    public List<String> wrap(List<String> command) {
        List<String> out = new ArrayList<>();
        out.add("setpriv");
        out.add("--pdeathsig");
        out.add("SIGINT");
        if (root) {
            out.add("--reuid=" + uid);
            out.add("--regid=" + gid);
            out.add("--clear-groups");
        }
        out.add("--");
        out.addAll(command);
        return out;
    }

    /** Makes {@code path} (recursively) belong to the postgres user; a no-op when not root. */
    public void chown(Path path) throws IOException {
        if (root && Files.exists(path)) {
            run("chown", "-R", uid + ":" + gid, path.toString());
        }
    }

    /** Creates a private (0700) directory owned by the postgres user. */
    public void privateDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE));
        if (root) {
            run("chown", uid + ":" + gid, dir.toString());
        }
    }

    /**
     * Lets the postgres user reach {@code dir}: adds only the search bit (o+x) to ancestors that lack it,
     * e.g. /root for a data directory under ~/.oxbow. A no-op when not root.
     */
    public void ensureTraversable(Path dir) throws IOException {
        if (!root) {
            return;
        }
        for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (!Files.isDirectory(p)) {
                continue;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                perms.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
                log.warn("granted search permission (o+x) so postgres user {} can reach the data directory path={}", user, p);
            }
        }
    }

    static int currentUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
    }

    static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command));
        }
        return out;
    }
}
