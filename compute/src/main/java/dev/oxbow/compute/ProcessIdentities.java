package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Which OS identity each tenant's (project's) Postgres processes run as. When Oxbow runs as root, every
 * tenant gets its own unprivileged system user, created on demand ({@code oxbow-<hash of the tenant uid>},
 * no home, no login shell) and removed with the tenant, so code running inside one tenant's compute (an
 * extension, a {@code COPY ... TO PROGRAM}, a Postgres bug) is an ordinary process of that user: the kernel
 * keeps it out of every other tenant's files and sockets. All tenant users share one supplementary group,
 * {@value #COMPUTES_GROUP}, whose only right is to pass through Oxbow's home on the way to their own
 * directories. Without root there is one identity for everything (Oxbow's own user): the single-user mode.
 * <p>
 * Several Oxbow homes (servers, test runs) may share one machine's /etc/passwd, so each user's comment names
 * the tenant and the home that created it ({@code oxbow tenant <uid> home <home id>}): a home only ever adopts,
 * removes or sweeps users carrying its own id.
 */
public final class ProcessIdentities {
    private static final Logger log = LoggerFactory.getLogger(ProcessIdentities.class);
    public static final String COMPUTES_GROUP = "oxbow-computes";
    private static final String USER_PREFIX = "oxbow-";
    /** The passwd comment names the tenant: a user of that name that is not ours is never adopted. */
    private static final String COMMENT_PREFIX = "oxbow tenant ";
    private static final String HOME_INFIX = " home ";
    private static final Pattern HOME_ID = Pattern.compile("[a-z0-9]{1,32}");
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** useradd/userdel exit codes meaning "the passwd file is locked by someone else": worth a retry. */
    private static final Set<Integer> LOCKED = Set.of(1, 10);
    private static final Set<PosixFilePermission> SHARED_DIR = PosixFilePermissions.fromString("rwx--x---");

    /** Non-null: every tenant runs as this identity. */
    private final ProcessIdentity shared;
    /** Per-tenant mode: gid of {@link #COMPUTES_GROUP}. */
    private final int computesGid;
    private final GroupPrincipal traversalGroup;
    private final String oxbowUser;
    /** Per-tenant mode: the id of the home whose users these are (in their passwd comment). */
    private final String homeId;
    private final Map<String, ProcessIdentity> byTenant = new ConcurrentHashMap<>();

    private ProcessIdentities(ProcessIdentity shared, int computesGid, GroupPrincipal traversalGroup, String oxbowUser, String homeId) {
        this.shared = shared;
        this.computesGid = computesGid;
        this.traversalGroup = traversalGroup;
        this.oxbowUser = oxbowUser;
        this.homeId = homeId;
    }

    /** As root: one OS user per tenant, created for home {@code homeId}. Otherwise: everything runs as Oxbow's own user. */
    public static ProcessIdentities detect(String homeId) throws ComputeException {
        return OsUsers.effectiveUid() == 0 ? perTenant(homeId) : shared(ProcessIdentity.current());
    }

    /** Every tenant's processes run as {@code identity} (the laptop case, and tests of one compute). */
    public static ProcessIdentities shared(ProcessIdentity identity) throws ComputeException {
        GroupPrincipal group = null;
        if (identity.root()) {
            try {
                group = FileSystems.getDefault().getUserPrincipalLookupService()
                        .lookupPrincipalByGroupName(Integer.toString(identity.gid()));
            } catch (IOException e) {
                throw new ComputeException("cannot look up the group of " + identity.user() + ": " + e.getMessage(), e);
            }
        }
        return new ProcessIdentities(identity, -1, group, OsUsers.currentUserName(), null);
    }

    /** One OS user per tenant, marked as home {@code homeId}'s; Oxbow must be root (it creates the users). */
    public static ProcessIdentities perTenant(String homeId) throws ComputeException {
        if (homeId == null || !HOME_ID.matcher(homeId).matches()) {
            throw new IllegalArgumentException("invalid home id: " + homeId);
        }
        if (OsUsers.effectiveUid() != 0) {
            throw new ComputeException("one OS user per project needs Oxbow to run as root");
        }
        for (String tool : List.of("setpriv", "useradd", "userdel", "groupadd")) {
            if (OsUsers.find(tool) == null) {
                throw new ComputeException("Oxbow runs as root and runs each project's Postgres as its own OS user, which needs "
                        + tool + "; install util-linux and passwd (scripts/setup does) or run Oxbow as a non-root user.");
            }
        }
        try {
            if (lookupGid(COMPUTES_GROUP).isEmpty()) {
                OsUsers.run(OsUsers.find("groupadd"), "--system", COMPUTES_GROUP);
                log.info("os group created group={}", COMPUTES_GROUP);
            }
            int gid = lookupGid(COMPUTES_GROUP).orElseThrow(() -> new IOException("group " + COMPUTES_GROUP + " vanished"));
            GroupPrincipal group = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(COMPUTES_GROUP);
            return new ProcessIdentities(null, gid, group, OsUsers.currentUserName(), homeId);
        } catch (IOException e) {
            throw new ComputeException("cannot create the OS group " + COMPUTES_GROUP + ": " + e.getMessage(), e);
        }
    }

    /** True when each tenant has an OS user of its own. */
    public boolean perTenantUsers() {
        return shared == null;
    }

    /** Oxbow's own OS user: the only one allowed to log in to a compute as any role (pg_ident.conf). */
    public String oxbowUser() {
        return oxbowUser;
    }

    /** The OS user name tenant {@code tenant} runs as in per-tenant mode. */
    public static String userNameOf(String tenant) {
        checkTenant(tenant);
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(tenant.getBytes(StandardCharsets.UTF_8));
            return USER_PREFIX + HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The identity of {@code tenant}'s processes; in per-tenant mode its OS user is created on first use. */
    public ProcessIdentity forTenant(String tenant) throws ComputeException {
        if (shared != null) {
            return shared;
        }
        checkTenant(tenant);
        ProcessIdentity known = byTenant.get(tenant);
        if (known != null) {
            return known;
        }
        synchronized (this) {
            known = byTenant.get(tenant);
            if (known == null) {
                known = ensureUser(tenant);
                byTenant.put(tenant, known);
            }
            return known;
        }
    }

    /** Removes {@code tenant}'s OS user (its processes must have stopped); no-op in single-user mode or when absent. */
    public synchronized void remove(String tenant) throws ComputeException {
        if (shared != null) {
            return;
        }
        String name = userNameOf(tenant);
        byTenant.remove(tenant);
        try {
            Optional<String> comment = comment(name);
            if (comment.isEmpty()) {
                return;
            }
            if (!ours(comment.get(), tenant)) {
                throw new ComputeException("OS user " + name + " does not belong to " + tenant + " of this home (comment '"
                        + comment.get() + "'); not removed");
            }
            deleteUserAndGroup(name);
            log.info("os user removed user={} tenant={}", name, tenant);
        } catch (IOException e) {
            throw new ComputeException("cannot remove OS user " + name + " of " + tenant + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes this home's OS users whose tenant is not in {@code keep} (projects purged while Oxbow was down, or
     * whose removal failed) and returns their names. Users of other homes, of no home recorded (created before
     * homes were), and anything not Oxbow's are left alone. No-op in single-user mode.
     */
    public synchronized List<String> sweep(Set<String> keep) throws ComputeException {
        if (shared != null) {
            return List.of();
        }
        List<String> removed = new ArrayList<>();
        try {
            for (String line : OsUsers.run("getent", "passwd").split("\n")) {
                String[] fields = line.split(":", -1);
                if (fields.length < 5 || !fields[0].startsWith(USER_PREFIX)) {
                    continue;
                }
                String suffix = HOME_INFIX + homeId;
                String comment = fields[4];
                if (!comment.startsWith(COMMENT_PREFIX) || !comment.endsWith(suffix)) {
                    continue;
                }
                String tenant = comment.substring(COMMENT_PREFIX.length(), comment.length() - suffix.length());
                // the name must be the one this tenant gets: a hand-made user with a copied comment is not ours
                if (keep.contains(tenant) || !TENANT.matcher(tenant).matches() || !fields[0].equals(userNameOf(tenant))) {
                    continue;
                }
                byTenant.remove(tenant);
                deleteUserAndGroup(fields[0]);
                removed.add(fields[0]);
                log.info("os user swept user={} tenant={} home={}", fields[0], tenant, homeId);
            }
        } catch (IOException e) {
            throw new ComputeException("cannot sweep the OS users of home " + homeId + ": " + e.getMessage(), e);
        }
        return removed;
    }

    /** userdel takes the user's private group along only when login.defs says USERGROUPS_ENAB; make sure of it. */
    private static void deleteUserAndGroup(String name) throws IOException {
        retryWhileLocked(OsUsers.find("userdel"), name);
        String groupdel = OsUsers.find("groupdel");
        if (groupdel != null && lookupGid(name).isPresent()) {
            retryWhileLocked(groupdel, name);
        }
    }

    private String commentFor(String tenant) {
        return COMMENT_PREFIX + tenant + HOME_INFIX + homeId;
    }

    /** This home's user for {@code tenant}, or one made before users recorded their home (adopted as it is). */
    private boolean ours(String comment, String tenant) {
        return comment.equals(commentFor(tenant)) || comment.equals(COMMENT_PREFIX + tenant);
    }

    /**
     * Makes {@code dir} (created if missing) a directory every compute passes through but none can list or
     * change: owned by Oxbow, group {@value #COMPUTES_GROUP}, mode 0710 (0700 in single-user mode as non-root).
     */
    public void sharedDir(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Set<PosixFilePermission> mode = traversalGroup == null ? ProcessIdentity.PRIVATE_DIR : SHARED_DIR;
        if (!Files.isDirectory(abs)) {
            Files.createDirectories(abs.getParent());
            try {
                Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(mode));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // created concurrently; fixed up below
            }
        }
        if (traversalGroup != null) {
            Files.getFileAttributeView(abs, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(traversalGroup);
        }
        Files.setPosixFilePermissions(abs, mode);
    }

    /**
     * Lets the computes pass through every directory above {@code dir} (along the path and its real path).
     * One that others cannot search gets exactly one ACL entry, search for {@value #COMPUTES_GROUP} (or the
     * single Postgres user), never a permission bit for everyone; without setfacl that is an error naming
     * the directory and the fix. No-op when not root.
     */
    public void grantTraversal(Path dir) throws ComputeException {
        if (traversalGroup == null) {
            return;
        }
        String entry = shared != null ? "u:" + shared.uid() + ":x" : "g:" + computesGid + ":x";
        try {
            for (Path p : ancestors(dir)) {
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || searchableByOthers(p) || searchableByGroup(p)
                        || aclGrants(p, entry)) {
                    continue;
                }
                String setfacl = OsUsers.find("setfacl");
                if (setfacl == null) {
                    throw new ComputeException("the Postgres processes (" + who() + ") cannot reach " + dir + ": " + p
                            + " is not searchable for them. Install acl (setfacl; scripts/setup does), or run `setfacl -m "
                            + entry + " " + p + "`, or choose a home whose parent directories are searchable.");
                }
                OsUsers.run(setfacl, "-m", entry, p.toString());
                log.warn("directory made traversable for postgres processes path={} acl={}", p, entry);
            }
        } catch (IOException e) {
            throw new ComputeException("cannot make " + dir + " reachable for " + who() + ": " + e.getMessage(), e);
        }
    }

    private String who() {
        return shared != null ? "user " + shared.user() : "group " + COMPUTES_GROUP;
    }

    private ProcessIdentity ensureUser(String tenant) throws ComputeException {
        String name = userNameOf(tenant);
        String expected = commentFor(tenant);
        try {
            Optional<String> comment = comment(name);
            if (comment.isPresent() && !ours(comment.get(), tenant)) {
                throw new ComputeException("OS user " + name + " already exists and is not Oxbow's user for " + tenant
                        + " of this home (comment '" + comment.get() + "'); remove or rename it");
            }
            if (comment.isEmpty()) {
                retryWhileLocked(OsUsers.find("useradd"), "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", "--groups", COMPUTES_GROUP, "--comment", expected, name);
                log.info("os user created user={} tenant={}", name, tenant);
            }
        } catch (IOException e) {
            throw new ComputeException("cannot create OS user " + name + " for " + tenant + ": " + e.getMessage(), e);
        }
        return ProcessIdentity.ofUser(name, List.of(computesGid));
    }

    private static void retryWhileLocked(String... command) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                OsUsers.run(command);
                return;
            } catch (OsUsers.ExitCode e) {
                if (!LOCKED.contains(e.code) || attempt >= 5) {
                    throw e;
                }
                try {
                    Thread.sleep(100L * attempt); // another process holds the passwd lock
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ie);
                }
            }
        }
    }

    /** The passwd comment of {@code user}, or empty when there is no such user. */
    private static Optional<String> comment(String user) throws IOException {
        try {
            String line = OsUsers.run("getent", "passwd", user);
            String[] fields = line.split(":", -1);
            return Optional.of(fields.length > 4 ? fields[4] : "");
        } catch (OsUsers.ExitCode absent) {
            if (absent.code == 2) {
                return Optional.empty();
            }
            throw absent;
        }
    }

    private static Optional<Integer> lookupGid(String group) throws IOException {
        try {
            return Optional.of(Integer.parseInt(OsUsers.run("getent", "group", group).split(":")[2]));
        } catch (OsUsers.ExitCode absent) {
            if (absent.code == 2) {
                return Optional.empty();
            }
            throw absent;
        }
    }

    private static List<Path> ancestors(Path dir) throws IOException {
        Set<Path> chain = new LinkedHashSet<>();
        Path abs = dir.toAbsolutePath().normalize();
        addAncestors(abs, chain);
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null) {
            addAncestors(existing.toRealPath(), chain);
        }
        return new ArrayList<>(chain);
    }

    private static void addAncestors(Path path, Set<Path> chain) {
        List<Path> ordered = new ArrayList<>();
        for (Path p = path.getParent(); p != null; p = p.getParent()) {
            ordered.addFirst(p);
        }
        chain.addAll(ordered);
    }

    private static boolean searchableByOthers(Path p) throws IOException {
        return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_EXECUTE);
    }

    /** A directory whose group is the traversal group (or the single user's) and that grants it search. */
    private boolean searchableByGroup(Path p) throws IOException {
        int group = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        int wanted = shared != null ? shared.gid() : computesGid;
        return group == wanted && Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.GROUP_EXECUTE);
    }

    private static boolean aclGrants(Path p, String entry) throws IOException {
        String getfacl = OsUsers.find("getfacl");
        if (getfacl == null) {
            return false;
        }
        String[] parts = entry.split(":");
        String prefix = (parts[0].equals("u") ? "user:" : "group:") + parts[1] + ":";
        for (String line : OsUsers.run(getfacl, "-cn", p.toString()).split("\n")) {
            if (!line.startsWith(prefix) || line.length() < prefix.length() + 3) {
                continue;
            }
            // "group:123:--x" or, when the mask takes bits away, "group:123:r-x\t#effective:--x"
            int effective = line.indexOf("#effective:");
            String perms = effective < 0 ? line.substring(prefix.length(), prefix.length() + 3) : line.substring(effective + 11);
            if (perms.contains("x")) {
                return true;
            }
        }
        return false;
    }

    private static void checkTenant(String tenant) {
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException("invalid tenant id: " + tenant);
        }
    }
}
