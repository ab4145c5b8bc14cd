package dev.oxbow.compute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The configuration Oxbow owns in a data directory: {@code oxbow.conf} (rewritten at every start and
 * included once from postgresql.conf) and {@code pg_hba.conf}. The socket settings are also passed on the
 * command line, which outranks postgresql.auto.conf, so ALTER SYSTEM cannot open a TCP port.
 */
final class ServerConfig {
    static final String FILE = "oxbow.conf";
    static final String INCLUDE_LINE = "include_if_exists = '" + FILE + "'";
    /** Unix socket paths (sun_path) hold 107 bytes plus the terminating NUL. */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");
    /**
     * No trust and no passwords: peer authentication, so the kernel says which OS user connects (SO_PEERCRED)
     * and pg_ident.conf admits only Oxbow's own user (as any role) and, for streaming replication only, the
     * compute's own user as the replication role. A secret per compute would be as strong only while no
     * process of the compute's user can read where Oxbow keeps it; a uid cannot be leaked or replayed.
     * There are no host lines: the server listens on no TCP port.
     */
    private static final String HBA = "# written by Oxbow at every start: unix socket only, peer authentication mapped by pg_ident.conf\n"
            + "local replication " + PgConnections.REPLICATION_ROLE + " peer map=replica\n"
            + "local all all peer map=oxbow\n"
            + "# \"all\" does not match replication connections (pg_basebackup)\n"
            + "local replication all peer map=oxbow\n";

    /**
     * With a pooler, its PgBouncer (the compute's own OS user) logs in as the role the proxy authenticated: map
     * {@code pooled} admits the compute's user too, but never as Oxbow's superuser or the replication role, which a
     * line before it keeps for Oxbow's own user. So code running as the compute's user still cannot log in as
     * superuser; the tenant roles it can reach are its own project's.
     */
    static String hba(String poolerAdminRole) {
        if (poolerAdminRole == null) {
            return HBA;
        }
        return "# written by Oxbow at every start: unix socket only, peer authentication mapped by pg_ident.conf\n"
                + "local replication " + PgConnections.REPLICATION_ROLE + " peer map=replica\n"
                + "local all \"" + poolerAdminRole + "\",\"" + PgConnections.REPLICATION_ROLE + "\" peer map=oxbow\n"
                + "local all all peer map=pooled\n"
                + "# \"all\" does not match replication connections (pg_basebackup)\n"
                + "local replication all peer map=oxbow\n";
    }

    private ServerConfig() {}

    /** The settings Oxbow always enforces; a spec cannot override them. */
    static Map<String, String> fixedSettings(Path socketDir) {
        Map<String, String> fixed = new LinkedHashMap<>();
        fixed.put("listen_addresses", "");
        fixed.put("port", Integer.toString(PgConnections.PORT));
        fixed.put("unix_socket_directories", socketDir.toString());
        fixed.put("unix_socket_permissions", "0700");
        // huge pages when enough are free, else normal pages (HugePages): "on" would make a start fail once the
        // pool runs out, "off" would cost each wake ~9,000 page faults; the pages' size is the kernel's default
        fixed.put("huge_pages", "try");
        return fixed;
    }

    /** {@code -c name=value} arguments for the fixed settings. */
    static List<String> commandLine(Path socketDir) {
        List<String> args = new ArrayList<>();
        fixedSettings(socketDir).forEach((k, v) -> {
            args.add("-c");
            args.add(k + "=" + v);
        });
        return args;
    }

    static void checkSocketDir(Path socketDir) throws ComputeException {
        String socketPath = socketDir.resolve(PgConnections.SOCKET_FILE).toString();
        int bytes = socketPath.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH_BYTES) {
            throw new ComputeException("socket path " + socketPath + " is " + bytes + " bytes, but unix socket paths are limited to "
                    + MAX_SOCKET_PATH_BYTES + "; choose a shorter socket directory");
        }
        if (!socketDir.isAbsolute() || socketPath.contains(",") || socketPath.contains("\"") || socketPath.contains("\\")
                || socketPath.contains("'") || hasControl(socketPath)) {
            throw new ComputeException("socket directory " + socketDir + " must be absolute and free of , \" ' \\ and control characters");
        }
    }

    /** Writes oxbow.conf and pg_hba.conf, and makes postgresql.conf include oxbow.conf (once). */
    static void write(ComputeSpec spec, ProcessIdentity identity, String oxbowUser) throws IOException, ComputeException {
        write(spec, identity, oxbowUser, null);
    }

    /**
     * As above; with a {@code poolerAdminRole} (Oxbow's superuser, non-null when a pooler runs) the compute's own OS
     * user may also log in as any role but that one and the replication role ({@link #hba}).
     */
    static void write(ComputeSpec spec, ProcessIdentity identity, String oxbowUser, String poolerAdminRole) throws IOException, ComputeException {
        Path dataDir = spec.dataDir();
        Map<String, String> fixed = fixedSettings(spec.socketDir());
        StringBuilder conf = new StringBuilder("# Written by Oxbow at every start of endpoint ").append(spec.endpointUid())
                .append("; change the endpoint's settings instead of editing this file.\n");
        for (var e : spec.settings().entrySet()) {
            if (fixed.containsKey(e.getKey())) {
                continue; // Oxbow's own values follow and win; logged by the caller
            }
            conf.append(setting(e.getKey(), e.getValue()));
        }
        fixed.forEach((k, v) -> conf.append(setting(k, v)));
        writeAtomically(dataDir.resolve(FILE), conf.toString(), identity);
        writeAtomically(dataDir.resolve("pg_hba.conf"), hba(poolerAdminRole), identity);
        writeAtomically(dataDir.resolve("pg_ident.conf"), ident(oxbowUser, identity.user(), poolerAdminRole != null), identity);

        // the data directory belongs to the compute's user: never follow a link it may have put here
        Path postgresqlConf = dataDir.resolve("postgresql.conf");
        if (Files.isSymbolicLink(postgresqlConf)) {
            throw new ComputeException(postgresqlConf + " is a symbolic link; refusing to use it");
        }
        if (!Files.readAllLines(postgresqlConf).contains(INCLUDE_LINE)) {
            Files.writeString(postgresqlConf, "\n# Oxbow's per-start settings (socket, endpoint settings)\n" + INCLUDE_LINE + "\n",
                    StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /** pg_ident.conf: Oxbow's user may be any role; the compute's own user only the replication role. */
    static String ident(String oxbowUser, String computeUser) {
        return ident(oxbowUser, computeUser, false);
    }

    /** With {@code pooler}, map {@code pooled}: Oxbow's user and the compute's own (its PgBouncer), limited by {@link #hba}. */
    static String ident(String oxbowUser, String computeUser, boolean pooler) {
        for (String user : List.of(oxbowUser, computeUser)) {
            if (user.isEmpty() || user.contains("\"") || user.chars().anyMatch(ch -> ch <= ' ' || ch == 0x7f)) {
                throw new IllegalArgumentException("unusable OS user name for pg_ident.conf: " + user);
            }
        }
        return "# written by Oxbow at every start\n"
                + "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n"
                + "oxbow \"" + oxbowUser + "\" /^(.*)$\n"
                + "replica \"" + computeUser + "\" " + PgConnections.REPLICATION_ROLE + "\n"
                + (pooler ? "pooled \"" + oxbowUser + "\" /^(.*)$\npooled \"" + computeUser + "\" /^(.*)$\n" : "");
    }

    /** One postgresql.conf line; values are always quoted, which every setting type accepts. */
    static String setting(String name, String value) {
        if (!SETTING_NAME.matcher(name).matches() || name.toLowerCase().startsWith("include")) {
            throw new IllegalArgumentException("invalid setting name: " + name);
        }
        if (hasControl(value)) {
            throw new IllegalArgumentException("setting " + name + " has a control character in its value");
        }
        return name + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'\n";
    }

    private static void writeAtomically(Path file, String content, ProcessIdentity identity) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".oxbow-tmp");
        identity.writeFile(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f);
    }
}
