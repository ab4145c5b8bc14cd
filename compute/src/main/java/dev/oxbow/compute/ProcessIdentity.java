package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One OS user that Postgres processes run as. Postgres refuses to run as root, so when Oxbow runs as
 * root every initdb/postgres is started through {@code setpriv} as an unprivileged user and the
 * directories it writes are chowned to that user (see {@link ProcessIdentities}: one such user per
 * project). When Oxbow is not root, Postgres simply runs as Oxbow's own user. Every launch also gets
 * {@code --pdeathsig SIGINT}, so a killed Oxbow leaves no server behind.
 */
public final class ProcessIdentity {
    private static final Logger log = LoggerFactory.getLogger(ProcessIdentity.class);
    public static final String DEFAULT_PG_USER = "postgres";
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    /** A directory Oxbow (root) owns and only this identity's group may pass through: no listing, no renames. */
    private static final Set<PosixFilePermission> CONTAINER_DIR = PosixFilePermissions.fromString("rwx--x---");

    private final String userName;
    private final int uid;
    private final int gid;
    private final boolean switchesUser;
    private final String setpriv;
    /** Supplementary groups the processes keep (the shared traversal group); empty means none. */
    private final List<Integer> extraGids;
    /** Owner and group for files Postgres must own; null when not switching users. */
    private final UserPrincipal owner;
    private final GroupPrincipal group;

    private ProcessIdentity(String userName, int uid, int gid, boolean switchesUser, String setpriv, List<Integer> extraGids,
                            UserPrincipal owner, GroupPrincipal group) {
        this.userName = userName;
        this.uid = uid;
        this.gid = gid;
        this.switchesUser = switchesUser;
        this.setpriv = setpriv;
        this.extraGids = List.copyOf(extraGids);
        this.owner = owner;
        this.group = group;
    }

    /**
     * As root: Postgres runs as {@code pgUser} (default {@value #DEFAULT_PG_USER}), which must exist.
     * Otherwise: Postgres runs as the current user and {@code pgUser} is ignored.
     */
    public static ProcessIdentity detect(String pgUser) throws ComputeException {
        if (OsUsers.effectiveUid() != 0) {
            return current();
        }
        String user = pgUser == null || pgUser.isBlank() ? DEFAULT_PG_USER : pgUser;
        try {
            return ofUser(user, List.of());
        } catch (ComputeException e) {
            throw new ComputeException("Oxbow runs as root, and Postgres refuses to run as root, so it runs as user '" + user
                    + "'; that user does not exist: create it (useradd --system --no-create-home " + user
                    + ") or configure another unprivileged user.", e);
        }
    }

    /** Postgres runs as Oxbow's own (non-root) user. */
    static ProcessIdentity current() throws ComputeException {
        String setpriv = OsUsers.setpriv();
        if (setpriv == null) {
            log.warn("setpriv not found: postgres processes will outlive a killed oxbow until it restarts");
        }
        int selfUid = OsUsers.effectiveUid();
        String self = OsUsers.currentUserName();
        log.info("postgres runs as current user user={} uid={}", self, selfUid);
        return new ProcessIdentity(self, selfUid, -1, false, setpriv, List.of(), null, null);
    }

    /** Root switching to the existing unprivileged {@code user}, keeping {@code extraGids} as supplementary groups. */
    static ProcessIdentity ofUser(String user, List<Integer> extraGids) throws ComputeException {
        String setpriv = OsUsers.setpriv();
        if (setpriv == null) {
            throw new ComputeException("Oxbow runs as root, so Postgres must run as an unprivileged user through setpriv, "
                    + "but setpriv (util-linux) is not installed; install util-linux or run Oxbow as a non-root user.");
        }
        int userUid;
        int userGid;
        UserPrincipal owner;
        GroupPrincipal group;
        try {
            userUid = Integer.parseInt(OsUsers.run("id", "-u", user));
            userGid = Integer.parseInt(OsUsers.run("id", "-g", user));
            var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            owner = lookup.lookupPrincipalByName(user);
            group = lookup.lookupPrincipalByGroupName(OsUsers.run("id", "-gn", user));
        } catch (IOException | NumberFormatException e) {
            throw new ComputeException("OS user '" + user + "' does not exist: " + e.getMessage(), e);
        }
        if (userUid == 0) {
            throw new ComputeException("Postgres user '" + user + "' has uid 0; choose an unprivileged user.");
        }
        log.info("postgres runs as unprivileged user user={} uid={} gid={}", user, userUid, userGid);
        return new ProcessIdentity(user, userUid, userGid, true, setpriv, extraGids, owner, group);
    }

    /** True when Oxbow is root, so Postgres runs as another user (commands are wrapped, files chowned). */
    public boolean root() { return switchesUser; }

    /** The OS user Postgres processes run as. */
    public String user() { return userName; }

    public int uid() { return uid; }

    /** The primary group of {@link #user()}; -1 when not switching users. */
    public int gid() { return gid; }

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
            if (extraGids.isEmpty()) {
                wrapped.add("--clear-groups");
            } else {
                wrapped.add("--groups=" + String.join(",", extraGids.stream().map(String::valueOf).toList()));
            }
        }
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Creates {@code dir} if missing (its missing parents as {@link #containerDirs}), then makes it mode 0700
     * and owned by this user.
     */
    public void privateDir(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        containerDirs(abs.getParent());
        if (!Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        }
        Files.setPosixFilePermissions(abs, PRIVATE_DIR);
        chown(abs);
    }

    /**
     * Creates the missing directories of {@code dir} for this user to pass through: owned by Oxbow, group
     * this user's own group, mode 0710 (0700 when not switching users). Directories that already exist are
     * left as they are: traversal is only ever granted on directories Oxbow creates here.
     */
    public void containerDirs(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        List<Path> missing = new ArrayList<>();
        for (Path p = abs; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.addFirst(p);
        }
        for (Path p : missing) {
            Set<PosixFilePermission> mode = switchesUser ? CONTAINER_DIR : PRIVATE_DIR;
            try {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(mode));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                continue; // created concurrently (by this same code)
            }
            Files.setPosixFilePermissions(p, mode); // the umask may have narrowed it
            if (switchesUser) {
                Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
            }
        }
    }

    /**
     * Writes {@code content} to a new file (mode 0600, owned by this user), replacing what was there. Never
     * follows a symlink: the directory may belong to this user, who could have planted one to make Oxbow
     * (root) write elsewhere.
     */
    public void writeFile(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PRIVATE_FILE))) {
            ch.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        }
        chown(file);
    }

    /** Makes {@code path} (not following symlinks) owned by this user; no-op unless switching users. */
    public void chown(Path path) throws IOException {
        if (!switchesUser) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(owner);
        view.setGroup(group);
    }

    @Override
    public String toString() {
        return "ProcessIdentity[user=" + userName + ", uid=" + uid + ", switchesUser=" + switchesUser + "]";
    }
}
