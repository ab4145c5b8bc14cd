package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which OS user the Postgres processes run as. Postgres refuses to run as root, so when Oxbow runs
 * as root every initdb/postgres is started through {@code setpriv} as an unprivileged user and the
 * directories it writes are chowned to that user. When Oxbow is not root, Postgres simply runs as
 * Oxbow's own user. Every launch also gets {@code --pdeathsig SIGINT}, so a killed Oxbow leaves no
 * server behind (a fast shutdown starts as soon as the launching thread dies).
 */
public final class ProcessIdentity {
    private static final Logger log = LoggerFactory.getLogger(ProcessIdentity.class);
    public static final String DEFAULT_PG_USER = "postgres";
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private final String userName;
    private final int uid;
    private final int gid;
    private final boolean switchesUser;
    private final String setpriv;
    /** Owner and group for files Postgres must own; null when not switching users. */
    private final UserPrincipal owner;
    private final GroupPrincipal group;

    private ProcessIdentity(String userName, int uid, int gid, boolean switchesUser, String setpriv,
                            UserPrincipal owner, GroupPrincipal group) {
        this.userName = userName;
        this.uid = uid;
        this.gid = gid;
        this.switchesUser = switchesUser;
        this.setpriv = setpriv;
        this.owner = owner;
        this.group = group;
    }

    /**
     * As root: Postgres runs as {@code pgUser} (default {@value #DEFAULT_PG_USER}), which must exist.
     * Otherwise: Postgres runs as the current user and {@code pgUser} is ignored.
     */
    public static ProcessIdentity detect(String pgUser) throws ComputeException {
        String setpriv = findSetpriv();
        int selfUid = effectiveUid();
        if (selfUid != 0) {
            String self = System.getProperty("user.name");
            if (setpriv == null) {
                log.warn("setpriv not found: postgres processes will outlive a killed oxbow until it restarts");
            }
            log.info("postgres runs as current user user={} uid={}", self, selfUid);
            return new ProcessIdentity(self, selfUid, -1, false, setpriv, null, null);
        }
        String user = pgUser == null || pgUser.isBlank() ? DEFAULT_PG_USER : pgUser;
        if (setpriv == null) {
            throw new ComputeException("Oxbow runs as root, so Postgres must run as an unprivileged user through setpriv, "
                    + "but setpriv (util-linux) is not installed; install util-linux or run Oxbow as a non-root user.");
        }
        int userUid;
        int userGid;
        UserPrincipal owner;
        GroupPrincipal group;
        try {
            userUid = Integer.parseInt(run("id", "-u", user));
            userGid = Integer.parseInt(run("id", "-g", user));
            var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            owner = lookup.lookupPrincipalByName(user);
            group = lookup.lookupPrincipalByGroupName(run("id", "-gn", user));
        } catch (IOException | NumberFormatException e) {
            throw new ComputeException("Oxbow runs as root, and Postgres refuses to run as root, so it runs as user '" + user
                    + "'; that user does not exist: create it (useradd --system --no-create-home " + user
                    + ") or configure another unprivileged user.", e);
        }
        if (userUid == 0) {
            throw new ComputeException("Postgres user '" + user + "' has uid 0; choose an unprivileged user.");
        }
        log.info("postgres runs as unprivileged user user={} uid={} gid={}", user, userUid, userGid);
        return new ProcessIdentity(user, userUid, userGid, true, setpriv, owner, group);
    }

    /** True when Oxbow is root, so Postgres runs as another user (commands are wrapped, files chowned). */
    public boolean root() { return switchesUser; }

    /** The OS user Postgres processes run as. */
    public String user() { return userName; }

    /**
     * The command prefixed with setpriv: parent-death signal always (when setpriv exists), user switch
     * when root. setpriv execs, so the returned process's pid is the pid of {@code command[0]}.
     */
    public List<String> wrap(List<String> command) {
        if (setpriv == null) {
            return List.copyOf(command);
        }
        List<String> wrapped = new ArrayList<>();
        wrapped.add(setpriv);
        wrapped.add("--pdeathsig");
        wrapped.add("SIGINT");
        if (switchesUser) {
            wrapped.add("--reuid=" + uid);
            wrapped.add("--regid=" + gid);
            wrapped.add("--clear-groups");
        }
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }

    /** Creates {@code dir} (and parents) if missing, then makes it mode 0700 and owned by the Postgres user. */
    public void privateDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PRIVATE_DIR);
        chown(dir);
    }

    /** Makes {@code path} (not following symlinks) owned by the Postgres user; no-op unless switching users. */
    public void chown(Path path) throws IOException {
        if (!switchesUser) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(owner);
        view.setGroup(group);
    }

    /**
     * Lets the Postgres user reach {@code dir}: every existing directory from / down to {@code dir}
     * (along the given path and its real path) that the user cannot search gets the o+x bit, and only
     * that bit; each change is logged. A home under /root (0700) is the usual case. No-op unless switching users.
     */
    public void ensureTraversable(Path dir) throws IOException {
        if (!switchesUser) {
            return;
        }
        Set<Path> chain = new LinkedHashSet<>();
        addAncestors(dir.toAbsolutePath().normalize(), chain);
        Path existing = dir.toAbsolutePath().normalize();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null) {
            addAncestors(existing.toRealPath(), chain);
        }
        for (Path p : chain) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!searchable(p, attrs)) {
                Set<PosixFilePermission> perms = attrs.permissions();
                perms.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
                log.warn("directory made traversable for postgres user path={} user={} added=o+x", p, userName);
            }
        }
    }

    private boolean searchable(Path p, PosixFileAttributes attrs) throws IOException {
        Set<PosixFilePermission> perms = attrs.permissions();
        if (perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
            return true;
        }
        int ownerUid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (ownerUid == uid) {
            return perms.contains(PosixFilePermission.OWNER_EXECUTE);
        }
        int ownerGid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        // setpriv --clear-groups leaves only the primary group.
        return ownerGid == gid && perms.contains(PosixFilePermission.GROUP_EXECUTE);
    }

    private static void addAncestors(Path path, Set<Path> chain) {
        List<Path> ordered = new ArrayList<>();
        for (Path p = path; p != null; p = p.getParent()) {
            ordered.add(0, p);
        }
        chain.addAll(ordered);
    }

    private static int effectiveUid() throws ComputeException {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ComputeException("cannot read the effective uid from /proc/self/status", e);
        }
        throw new ComputeException("no Uid line in /proc/self/status");
    }

    private static String findSetpriv() {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin")) {
            Path candidate = Path.of(dir, "setpriv");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }

    @Override
    public String toString() {
        return "ProcessIdentity[user=" + userName + ", uid=" + uid + ", switchesUser=" + switchesUser + "]";
    }
}
