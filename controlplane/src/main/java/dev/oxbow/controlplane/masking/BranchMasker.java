package dev.oxbow.controlplane.masking;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.PgAdmin;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MaskingAction;
import dev.oxbow.metadata.MaskingPolicy;
import dev.oxbow.metadata.MaskingRule;
import dev.oxbow.metadata.Project;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a project's masking rules to a new branch's data directory before any endpoint serves it, on a private
 * server of the branch's data (its own socket, no endpoint, so the proxy cannot route a connection to it; the
 * branch stays INIT, so a wake-up is refused too). Tenant code never runs with more than its owner's rights:
 * each table is changed by a fresh, unprivileged login role that is a member of the table's owner only (see
 * DESIGN.md, "Masked branches", for the threat analysis). Afterwards the server's WAL from before masking is
 * removed, so the data directory holds no way back to the unmasked rows.
 */
public final class BranchMasker {
    private static final Logger log = LoggerFactory.getLogger(BranchMasker.class);

    /** The first point of the branch's history that holds only masked data. */
    public record Masked(String lsn, java.time.Instant time, int tables, long rows) {}

    private final Computes computes;
    private final Layout layout;
    private final java.time.Clock clock;

    public BranchMasker(Computes computes, Layout layout, java.time.Clock clock) {
        this.computes = computes;
        this.layout = layout;
        this.clock = clock;
    }

    /** Masks {@code dataDir} (the branch's stopped data) with {@code policy}; fails (naming the rule) rather than leave a column unmasked. */
    public Masked mask(Project project, Branch branch, Path dataDir, MaskingPolicy policy) throws Exception {
        long start = System.nanoTime();
        Map<String, String> settings = new LinkedHashMap<>(computes.recoverySettings(project, branch));
        settings.put("archive_mode", "off"); // nothing of this server's WAL enters the branch's history
        settings.put("wal_recycle", "off"); // old segments are deleted, not renamed for reuse with their contents
        settings.put("wal_keep_size", "0");
        String uid = "msk-" + branch.uid();
        Path socketDir = layout.socketDir(uid);
        var runtime = computes.runtime();
        runtime.stop(uid);
        byte[] key = HexFormat.of().parseHex(policy.keyHex());
        int tables = 0;
        long rows = 0;
        try {
            runtime.start(new ComputeSpec(uid, project.uid(), project.pgVersion(), dataDir, socketDir, settings));
            byte[] suffix = new byte[6];
            new java.security.SecureRandom().nextBytes(suffix);
            String masker = "oxbow_masker_" + HexFormat.of().formatHex(suffix); // a name no tenant role can have taken
            try (Connection admin = PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
                // a slot from the parent could decode WAL from before masking
                st.execute("SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots");
                st.execute("CREATE ROLE " + PgAdmin.ident(masker) + " LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
                // Its sessions start with foreign-key cascades and checks and ORIGIN triggers and rules off. Set by a
                // superuser as the role's default, so the masker (and tenant code that RESET ROLEs to it) cannot turn it back.
                st.execute("ALTER ROLE " + PgAdmin.ident(masker) + " SET session_replication_role = 'replica'");
            }
            Map<String, Map<List<String>, List<MaskingRule>>> byTable = new LinkedHashMap<>();
            for (MaskingRule r : policy.rules()) {
                byTable.computeIfAbsent(r.database(), d -> new LinkedHashMap<>())
                        .computeIfAbsent(List.of(r.schema(), r.table()), t -> new ArrayList<>()).add(r);
            }
            try {
                for (var db : byTable.entrySet()) {
                    grantConnect(socketDir, masker, db.getKey(), true);
                    for (var t : db.getValue().entrySet()) {
                        rows += maskTable(socketDir, masker, db.getKey(), t.getKey().get(0), t.getKey().get(1), t.getValue(), key);
                        tables++;
                    }
                    refreshMaterializedViews(socketDir, masker, db.getKey());
                    grantConnect(socketDir, masker, db.getKey(), false);
                }
            } finally {
                try (Connection admin = PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
                    for (String db : byTable.keySet()) {
                        try {
                            st.execute("REVOKE CONNECT ON DATABASE " + PgAdmin.ident(db) + " FROM " + PgAdmin.ident(masker));
                        } catch (SQLException e) {
                            log.debug("revoke connect on {}: {}", db, e.getMessage()); // a database that does not exist
                        }
                    }
                    st.execute("DROP ROLE IF EXISTS " + PgAdmin.ident(masker));
                }
            }
            String lsn;
            try (Connection admin = PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
                // Two checkpoints around a segment switch: every segment holding WAL of the masking (and the
                // parent's WAL copied with the clone) is before the last redo point, so it is deleted.
                st.execute("CHECKPOINT");
                st.execute("SELECT pg_catalog.pg_switch_wal()");
                st.execute("CHECKPOINT");
                try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_wal_lsn()::text")) {
                    rs.next();
                    lsn = rs.getString(1);
                }
            }
            log.info("branch masked branch={} rules={} tables={} rows={} lsn={} ms={}", branch.name(), policy.rules().size(), tables, rows, lsn,
                    (System.nanoTime() - start) / 1_000_000);
            return new Masked(lsn, clock.instant(), tables, rows);
        } finally {
            runtime.stop(uid);
        }
    }

    /** One table: its owner's rights only, user triggers and rewrite rules off, FORCE RLS lifted, one UPDATE; then rewritten and re-analyzed. */
    private long maskTable(Path socketDir, String masker, String database, String schema, String table, List<MaskingRule> rules, byte[] key)
            throws SQLException, ComputeException {
        String where = database + "." + schema + "." + table;
        TableFacts facts;
        try (Connection admin = PgConnections.openForOxbow(socketDir, database, Defaults.SYSTEM_ROLE)) {
            facts = facts(admin, where, schema, table, rules);
            if (facts.ownerIsSuperuser()) {
                throw new RuleDoesNotFit("masking rule for " + where + ": the table is owned by a superuser; Oxbow masks only tenant-owned tables");
            }
            try (Statement st = admin.createStatement()) {
                st.execute("GRANT " + PgAdmin.ident(facts.owner()) + " TO " + PgAdmin.ident(masker));
            }
        } catch (SQLException e) {
            if ("3D000".equals(e.getSQLState())) {
                throw new RuleDoesNotFit("masking rule for " + where + ": database " + database + " does not exist on the branch", e);
            }
            throw e;
        }
        List<MaskingAction> actions = rules.stream().map(MaskingRule::action).toList();
        MaskingSql.Statement update;
        try {
            update = MaskingSql.update(schema, table, facts.columns(), actions, key);
        } catch (IllegalArgumentException e) {
            throw new RuleDoesNotFit("masking rule for " + where + ": " + e.getMessage());
        }
        long changed = 0;
        try (Connection c = PgConnections.openForOxbow(socketDir, database, masker); Statement st = c.createStatement()) {
            // The session user is the unprivileged masker: RESET ROLE in tenant code leaves it with no rights at all.
            // session_replication_role is replica from the role's default: no foreign-key cascades or checks against other
            // tables, no ORIGIN triggers or rules. Hashing both sides of a foreign key with the same action keeps it consistent.
            try (ResultSet rs = st.executeQuery("SELECT pg_catalog.current_setting('session_replication_role')")) {
                rs.next();
                if (!"replica".equals(rs.getString(1))) {
                    throw new ComputeException("the masking session's session_replication_role is " + rs.getString(1) + ", not replica");
                }
            }
            st.execute("SET ROLE " + PgAdmin.ident(facts.owner()));
            st.execute("SET row_security = off"); // a policy that would hide a row is an error, never a row left unmasked
            if (update != null) {
                c.setAutoCommit(false);
                String rel = PgAdmin.ident(schema) + "." + PgAdmin.ident(table);
                st.execute("ALTER TABLE " + rel + " DISABLE TRIGGER USER");
                for (String rule : facts.rules().keySet()) {
                    st.execute("ALTER TABLE " + rel + " DISABLE RULE " + PgAdmin.ident(rule));
                }
                if (facts.forceRls()) {
                    st.execute("ALTER TABLE " + rel + " NO FORCE ROW LEVEL SECURITY");
                }
                try (PreparedStatement ps = c.prepareStatement(update.sql())) {
                    for (int i = 0; i < update.params().size(); i++) {
                        ps.setBytes(i + 1, update.params().get(i));
                    }
                    changed = ps.executeUpdate();
                }
                if (facts.forceRls()) {
                    st.execute("ALTER TABLE " + rel + " FORCE ROW LEVEL SECURITY");
                }
                for (var trigger : facts.triggers().entrySet()) {
                    String mode = enableMode(trigger.getValue());
                    if (mode != null) {
                        st.execute("ALTER TABLE " + rel + " ENABLE " + mode + "TRIGGER " + PgAdmin.ident(trigger.getKey()));
                    }
                }
                for (var rule : facts.rules().entrySet()) {
                    String mode = enableMode(rule.getValue());
                    if (mode != null) {
                        st.execute("ALTER TABLE " + rel + " ENABLE " + mode + "RULE " + PgAdmin.ident(rule.getKey()));
                    }
                }
                c.commit();
                c.setAutoCommit(true);
                // a new file for the table, its indexes and TOAST (no dead pre-mask tuples left on a page), and statistics
                // (pg_stats' most common values) computed from masked rows
                st.execute("VACUUM (FULL, ANALYZE) " + rel);
            }
        } catch (SQLException e) {
            throw new ComputeException("masking " + where + " failed: " + e.getMessage(), e);
        } finally {
            try (Connection admin = PgConnections.openForOxbow(socketDir, database, Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
                st.execute("REVOKE " + PgAdmin.ident(facts.owner()) + " FROM " + PgAdmin.ident(masker));
            }
        }
        return changed;
    }

    /** A tenant may have revoked CONNECT from PUBLIC; the masker needs it (it inherits nothing from the owners). */
    private static void grantConnect(Path socketDir, String masker, String database, boolean grant) throws SQLException, ComputeException {
        try (Connection admin = PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
            st.execute((grant ? "GRANT" : "REVOKE") + " CONNECT ON DATABASE " + PgAdmin.ident(database) + (grant ? " TO " : " FROM ") + PgAdmin.ident(masker));
        } catch (SQLException e) {
            if ("3D000".equals(e.getSQLState())) {
                throw new RuleDoesNotFit("masking rules name database " + database + ", which does not exist on the branch", e);
            }
            throw e;
        }
    }

    /** pg_trigger.tgenabled / pg_rewrite.ev_enabled to the ENABLE form that restores it; D (disabled) stays disabled. */
    private static String enableMode(String enabled) {
        return switch (enabled) {
            case "O" -> "";
            case "A" -> "ALWAYS ";
            case "R" -> "REPLICA ";
            default -> null;
        };
    }

    private record TableFacts(String owner, boolean ownerIsSuperuser, boolean forceRls, List<MaskingSql.Column> columns,
                              Map<String, String> triggers, Map<String, String> rules) {}

    /** What the catalog says about the table, read as Oxbow (a catalog read runs no tenant code); refuses what masking cannot handle safely. */
    private static TableFacts facts(Connection admin, String where, String schema, String table, List<MaskingRule> rules)
            throws SQLException, ComputeException {
        String owner;
        boolean superuser;
        boolean force;
        long oid;
        try (PreparedStatement ps = admin.prepareStatement("SELECT c.oid, c.relkind::text, r.rolname, r.rolsuper, c.relforcerowsecurity, c.relhassubclass"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_roles r ON r.oid = c.relowner"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new RuleDoesNotFit("masking rule for " + where + ": the table does not exist on the branch");
                }
                oid = rs.getLong(1);
                String kind = rs.getString(2);
                if (!"r".equals(kind)) {
                    throw new RuleDoesNotFit("masking rule for " + where + ": only ordinary tables can be masked (relkind " + kind
                            + "); name each partition in its own rule");
                }
                if (rs.getBoolean(6)) {
                    throw new RuleDoesNotFit("masking rule for " + where + ": the table has inheritance children; name each table in its own rule");
                }
                owner = rs.getString(3);
                superuser = rs.getBoolean(4);
                force = rs.getBoolean(5);
            }
        }
        List<MaskingSql.Column> columns = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("SELECT pg_catalog.format_type(a.atttypid, a.atttypmod), t.typcategory::text,"
                + " CASE WHEN t.typtype = 'd' THEN (SELECT b.typname FROM pg_catalog.pg_type b WHERE b.oid = t.typbasetype) ELSE t.typname END::text,"
                + " a.attnotnull, a.attgenerated <> ''"
                + " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = ? AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
            for (MaskingRule r : rules) {
                ps.setLong(1, oid);
                ps.setString(2, r.column());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new RuleDoesNotFit("masking rule for " + r.columnRef() + ": the column does not exist on the branch");
                    }
                    columns.add(new MaskingSql.Column(r.column(), MaskingSql.family(rs.getString(2), rs.getString(3)), rs.getString(1),
                            rs.getBoolean(4), rs.getBoolean(5)));
                }
            }
        }
        return new TableFacts(owner, superuser, force, columns,
                names(admin, "SELECT tgname::text, tgenabled::text FROM pg_catalog.pg_trigger WHERE tgrelid = ? AND NOT tgisinternal ORDER BY tgname", oid),
                names(admin, "SELECT rulename::text, ev_enabled::text FROM pg_catalog.pg_rewrite WHERE ev_class = ? AND rulename <> '_RETURN' ORDER BY rulename", oid));
    }

    private static Map<String, String> names(Connection admin, String sql, long oid) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = admin.prepareStatement(sql)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    /**
     * A materialized view may hold copies of masked columns: each populated one is refreshed (in creation order, so
     * one built on another sees it refreshed) as its owner, the same way tables are changed.
     */
    private static void refreshMaterializedViews(Path socketDir, String masker, String database) throws SQLException, ComputeException {
        List<String[]> views = new ArrayList<>();
        try (Connection admin = PgConnections.openForOxbow(socketDir, database, Defaults.SYSTEM_ROLE); Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT n.nspname::text, c.relname::text, r.rolname::text, r.rolsuper FROM pg_catalog.pg_class c"
                     + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_roles r ON r.oid = c.relowner"
                     + " WHERE c.relkind = 'm' AND c.relispopulated ORDER BY c.oid")) {
            while (rs.next()) {
                if (rs.getBoolean(4)) {
                    throw new ComputeException("materialized view " + database + "." + rs.getString(1) + "." + rs.getString(2)
                            + " is owned by a superuser; Oxbow refreshes only tenant-owned views");
                }
                views.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            }
        }
        for (String[] v : views) {
            String rel = PgAdmin.ident(v[0]) + "." + PgAdmin.ident(v[1]);
            try (Connection admin = PgConnections.openForOxbow(socketDir, database, Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
                st.execute("GRANT " + PgAdmin.ident(v[2]) + " TO " + PgAdmin.ident(masker));
            }
            try (Connection c = PgConnections.openForOxbow(socketDir, database, masker); Statement st = c.createStatement()) {
                st.execute("SET ROLE " + PgAdmin.ident(v[2]));
                st.execute("REFRESH MATERIALIZED VIEW " + rel);
                st.execute("VACUUM (FULL, ANALYZE) " + rel);
            } catch (SQLException e) {
                throw new ComputeException("refreshing materialized view " + database + "." + v[0] + "." + v[1] + " after masking failed: " + e.getMessage(), e);
            } finally {
                try (Connection admin = PgConnections.openForOxbow(socketDir, database, Defaults.SYSTEM_ROLE); Statement st = admin.createStatement()) {
                    st.execute("REVOKE " + PgAdmin.ident(v[2]) + " FROM " + PgAdmin.ident(masker));
                }
            }
        }
    }

    /** A project rule the branch's data cannot take (no such table or column, a partitioned or superuser-owned table, a type the action does not fit). */
    public static final class RuleDoesNotFit extends ComputeException {
        RuleDoesNotFit(String message) {
            super(message);
        }

        RuleDoesNotFit(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
