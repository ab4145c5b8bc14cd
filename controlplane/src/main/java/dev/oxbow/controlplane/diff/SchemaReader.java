package dev.oxbow.controlplane.diff;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one database's schema objects from the catalogs, as the diff role (catalogs are readable by every role; no
 * superuser is needed). System schemas, objects that belong to an extension, and Oxbow's own roles are left out.
 * DDL is put together from the server's own deparsers ({@code pg_get_indexdef}, {@code pg_get_constraintdef},
 * {@code pg_get_functiondef}, {@code pg_get_viewdef}, {@code format_type}) and identifiers quoted here.
 */
final class SchemaReader {
    /** Roles every cluster has for Oxbow's own use, and the per-credential roles of scoped tokens. */
    static final Set<String> OXBOW_ROLES = Set.of("oxbow_admin", "oxbow_replicator", DiffRole.NAME);
    static final String SCOPED_ROLE_PREFIX = "oxbow_ro_";

    private static final String USER_SCHEMA = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

    private static String notExtensionMember(String catalog, String oid) {
        return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '" + catalog + "'::pg_catalog.regclass"
                + " AND d.objid = " + oid + " AND d.deptype = 'e')";
    }

    private final Connection c;
    private final DiffStats stats;
    private final List<SchemaObject> out = new ArrayList<>();

    private SchemaReader(Connection c, DiffStats stats) {
        this.c = c;
        this.stats = stats;
    }

    static List<SchemaObject> read(Connection c, DiffStats stats) {
        SchemaReader r = new SchemaReader(c, stats);
        try {
            r.roles();
            r.schemas();
            r.sequences();
            r.tables();
            r.columns();
            r.constraints();
            r.indexes();
            r.functions();
            r.views();
            r.grants();
        } catch (SQLException e) {
            throw new DiffFailure("Reading the catalogs failed: " + e.getMessage(), e);
        }
        return List.copyOf(r.out);
    }

    static boolean isOxbowRole(String role) {
        return role != null && (OXBOW_ROLES.contains(role) || role.startsWith(SCOPED_ROLE_PREFIX));
    }

    private void add(SchemaKind kind, String identity, String parent, String definition, String create, String drop, Map<String, String> parts) {
        out.add(new SchemaObject(kind, identity, parent, definition, create, drop, parts));
    }

    private void roles() throws SQLException {
        each("SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls"
                + " FROM pg_catalog.pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY rolname", rs -> {
            String name = rs.getString(1);
            if (isOxbowRole(name)) {
                return;
            }
            String[] flags = {"SUPERUSER", "INHERIT", "CREATEROLE", "CREATEDB", "LOGIN", "REPLICATION", "BYPASSRLS"};
            StringBuilder attrs = new StringBuilder();
            for (int i = 0; i < flags.length; i++) {
                attrs.append(i == 0 ? "" : " ").append(rs.getBoolean(i + 2) ? "" : "NO").append(flags[i]);
            }
            add(SchemaKind.ROLE, name, null, attrs.toString(), "CREATE ROLE " + Ident.quote(name) + " " + attrs,
                    "DROP ROLE " + Ident.quote(name), null);
        });
        each("SELECT r.rolname, m.rolname, pg_catalog.bool_or(am.admin_option) FROM pg_catalog.pg_auth_members am"
                + " JOIN pg_catalog.pg_roles r ON r.oid = am.roleid JOIN pg_catalog.pg_roles m ON m.oid = am.member"
                + " GROUP BY r.rolname, m.rolname ORDER BY 1, 2", rs -> {
            String role = rs.getString(1);
            String member = rs.getString(2);
            if (isOxbowRole(member) || isOxbowRole(role)) {
                return;
            }
            boolean admin = rs.getBoolean(3);
            add(SchemaKind.MEMBERSHIP, role + " to " + member, "ROLE:" + member, Boolean.toString(admin),
                    "GRANT " + Ident.quote(role) + " TO " + Ident.quote(member) + (admin ? " WITH ADMIN OPTION" : ""),
                    "REVOKE " + Ident.quote(role) + " FROM " + Ident.quote(member), null);
        });
    }

    private void schemas() throws SQLException {
        each("SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE " + USER_SCHEMA + " AND " + notExtensionMember("pg_namespace", "n.oid")
                + " ORDER BY 1", rs -> {
            String s = rs.getString(1);
            // CASCADE: a schema gone from the branch takes its tables, views and functions with it
            add(SchemaKind.SCHEMA, s, null, "schema", "CREATE SCHEMA " + Ident.quote(s), "DROP SCHEMA " + Ident.quote(s) + " CASCADE", null);
        });
    }

    private void sequences() throws SQLException {
        // identity columns' sequences come with their columns
        each("SELECT n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart,"
                + " s.seqcache, s.seqcycle FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE " + USER_SCHEMA + " AND " + notExtensionMember("pg_class", "c.oid")
                + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i')"
                + " ORDER BY 1, 2", rs -> {
            String name = Ident.qualified(rs.getString(1), rs.getString(2));
            String definition = "AS " + rs.getString(3) + " INCREMENT BY " + rs.getLong(4) + " MINVALUE " + rs.getLong(5) + " MAXVALUE "
                    + rs.getLong(6) + " START WITH " + rs.getLong(7) + " CACHE " + rs.getLong(8) + (rs.getBoolean(9) ? " CYCLE" : " NO CYCLE");
            add(SchemaKind.SEQUENCE, rs.getString(1) + "." + rs.getString(2), "SCHEMA:" + rs.getString(1), definition,
                    "CREATE SEQUENCE " + name + " " + definition, "DROP SEQUENCE " + name, null);
        });
    }

    private void tables() throws SQLException {
        each("SELECT n.nspname, c.relname, c.relkind = 'p', pg_catalog.pg_get_partkeydef(c.oid), c.relispartition,"
                + " (SELECT pn.nspname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent"
                + "   JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid LIMIT 1),"
                + " (SELECT pc.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent WHERE i.inhrelid = c.oid LIMIT 1),"
                + " pg_catalog.pg_get_expr(c.relpartbound, c.oid)"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND " + USER_SCHEMA + " AND " + notExtensionMember("pg_class", "c.oid") + " ORDER BY 1, 2", rs -> {
            String name = Ident.qualified(rs.getString(1), rs.getString(2));
            String create;
            if (rs.getBoolean(5)) {
                create = "CREATE TABLE " + name + " PARTITION OF " + Ident.qualified(rs.getString(6), rs.getString(7)) + " " + rs.getString(8);
            } else {
                create = "CREATE TABLE " + name + " ()" + (rs.getBoolean(3) ? " PARTITION BY " + rs.getString(4) : "");
            }
            add(SchemaKind.TABLE, rs.getString(1) + "." + rs.getString(2), "SCHEMA:" + rs.getString(1), create, create, "DROP TABLE " + name, null);
        });
    }

    private void columns() throws SQLException {
        // only a table's own columns: a partition's or child's inherited ones come from its parent
        each("SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
                + " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated"
                + " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                + " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal AND " + USER_SCHEMA
                + " AND " + notExtensionMember("pg_class", "c.oid") + " ORDER BY 1, 2, a.attnum", rs -> {
            String table = Ident.qualified(rs.getString(1), rs.getString(2));
            String column = rs.getString(3);
            String type = rs.getString(4);
            boolean notNull = rs.getBoolean(5);
            String expr = rs.getString(6);
            String identity = rs.getString(7);
            String generated = rs.getString(8);
            StringBuilder def = new StringBuilder(Ident.quote(column)).append(" ").append(type);
            String defaultExpr = null;
            if ("s".equals(generated)) {
                def.append(" GENERATED ALWAYS AS (").append(expr).append(") STORED");
            } else if ("a".equals(identity) || "d".equals(identity)) {
                def.append(" GENERATED ").append("a".equals(identity) ? "ALWAYS" : "BY DEFAULT").append(" AS IDENTITY");
            } else if (expr != null) {
                defaultExpr = expr;
                def.append(" DEFAULT ").append(expr);
            }
            if (notNull) {
                def.append(" NOT NULL");
            }
            Map<String, String> parts = new LinkedHashMap<>();
            parts.put("table", table);
            parts.put("column", column);
            parts.put("type", type);
            parts.put("not_null", Boolean.toString(notNull));
            if (defaultExpr != null) parts.put("default", defaultExpr);
            if (identity != null && !identity.isEmpty()) parts.put("identity", identity);
            if (generated != null && !generated.isEmpty()) parts.put("generated", generated);
            add(SchemaKind.COLUMN, rs.getString(1) + "." + rs.getString(2) + "." + column, "TABLE:" + rs.getString(1) + "." + rs.getString(2),
                    def.toString(), "ALTER TABLE " + table + " ADD COLUMN " + def, "ALTER TABLE " + table + " DROP COLUMN " + Ident.quote(column), parts);
        });
    }

    private void constraints() throws SQLException {
        each("SELECT n.nspname, c.relname, co.conname, co.contype, pg_catalog.pg_get_constraintdef(co.oid)"
                + " FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND co.conislocal AND c.relkind IN ('r', 'p') AND " + USER_SCHEMA
                + " AND " + notExtensionMember("pg_class", "c.oid") + " ORDER BY 1, 2, 3", rs -> {
            String table = Ident.qualified(rs.getString(1), rs.getString(2));
            String name = Ident.quote(rs.getString(3));
            SchemaKind kind = "f".equals(rs.getString(4)) ? SchemaKind.FOREIGN_KEY : SchemaKind.CONSTRAINT;
            add(kind, rs.getString(1) + "." + rs.getString(2) + "." + rs.getString(3), "TABLE:" + rs.getString(1) + "." + rs.getString(2),
                    rs.getString(5), "ALTER TABLE " + table + " ADD CONSTRAINT " + name + " " + rs.getString(5),
                    "ALTER TABLE " + table + " DROP CONSTRAINT " + name, null);
        });
    }

    private void indexes() throws SQLException {
        // indexes of primary key, unique and exclusion constraints come with their constraints
        each("SELECT n.nspname, ci.relname, ct.relname, ct.relkind, pg_catalog.pg_get_indexdef(i.indexrelid)"
                + " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ci ON ci.oid = i.indexrelid"
                + " JOIN pg_catalog.pg_class ct ON ct.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = ci.relnamespace"
                + " WHERE " + USER_SCHEMA + " AND NOT ci.relispartition AND " + notExtensionMember("pg_class", "ct.oid")
                + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid"
                + "   AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) ORDER BY 1, 2", rs -> {
            String parent = ("m".equals(rs.getString(4)) ? "VIEW:" : "TABLE:") + rs.getString(1) + "." + rs.getString(3);
            add(SchemaKind.INDEX, rs.getString(1) + "." + rs.getString(2), parent, rs.getString(5), rs.getString(5),
                    "DROP INDEX " + Ident.qualified(rs.getString(1), rs.getString(2)), null);
        });
    }

    private void functions() throws SQLException {
        each("SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind, pg_catalog.pg_get_functiondef(p.oid)"
                + " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE p.prokind IN ('f', 'p') AND " + USER_SCHEMA + " AND " + notExtensionMember("pg_proc", "p.oid") + " ORDER BY 1, 2, 3", rs -> {
            String signature = Ident.qualified(rs.getString(1), rs.getString(2)) + "(" + rs.getString(3) + ")";
            String word = "p".equals(rs.getString(4)) ? "PROCEDURE" : "FUNCTION";
            String def = rs.getString(5).strip();
            add(SchemaKind.FUNCTION, functionIdentity(rs.getString(1), rs.getString(2), rs.getString(3)), "SCHEMA:" + rs.getString(1),
                    def, def, "DROP " + word + " " + signature, null);
        });
    }

    private static String functionIdentity(String schema, String name, String args) {
        return schema + "." + name + "(" + args + ")";
    }

    private void views() throws SQLException {
        each("SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_get_viewdef(c.oid, true) FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND " + USER_SCHEMA
                + " AND " + notExtensionMember("pg_class", "c.oid") + " ORDER BY 1, 2", rs -> {
            String name = Ident.qualified(rs.getString(1), rs.getString(2));
            String query = rs.getString(4).strip();
            if (query.endsWith(";")) {
                query = query.substring(0, query.length() - 1);
            }
            boolean materialized = "m".equals(rs.getString(3));
            String create = materialized ? "CREATE MATERIALIZED VIEW " + name + " AS " + query + " WITH NO DATA"
                    : "CREATE OR REPLACE VIEW " + name + " AS " + query;
            add(SchemaKind.VIEW, rs.getString(1) + "." + rs.getString(2), "SCHEMA:" + rs.getString(1), create, create,
                    (materialized ? "DROP MATERIALIZED VIEW " : "DROP VIEW ") + name, null);
        });
    }

    /**
     * Privileges that differ from the object's defaults ({@code acldefault}: the owner's, plus PUBLIC's EXECUTE on
     * functions): an entry beyond them is a GRANT, a default entry taken away is a revoked default. The owner's own
     * privileges are left out; creating the object gives them.
     */
    private void grants() throws SQLException {
        String objects = "SELECT n.nspname AS s, c.relname::pg_catalog.text AS name, NULL::pg_catalog.text AS args,"
                + " CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' WHEN c.relkind IN ('v', 'm') THEN 'VIEW' ELSE 'TABLE' END AS kind,"
                + " c.relacl AS acl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner) AS def, c.relowner AS owner"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND " + USER_SCHEMA + " AND " + notExtensionMember("pg_class", "c.oid")
                + " UNION ALL SELECT n.nspname, NULL, NULL, 'SCHEMA', n.nspacl, pg_catalog.acldefault('n'::\"char\", n.nspowner), n.nspowner"
                + " FROM pg_catalog.pg_namespace n WHERE " + USER_SCHEMA + " AND " + notExtensionMember("pg_namespace", "n.oid")
                + " UNION ALL SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), 'FUNCTION', p.proacl,"
                + " pg_catalog.acldefault('f'::\"char\", p.proowner), p.proowner"
                + " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE p.prokind IN ('f', 'p') AND " + USER_SCHEMA + " AND " + notExtensionMember("pg_proc", "p.oid");
        String sql = "WITH o AS (" + objects + ") SELECT o.s, o.name, o.args, o.kind, g.privilege_type,"
                + " CASE WHEN g.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(g.grantee)::pg_catalog.text END, g.is_grantable, g.revoked"
                + " FROM o, LATERAL ("
                + "  (SELECT e.grantee, e.privilege_type, e.is_grantable, false AS revoked FROM pg_catalog.aclexplode(COALESCE(o.acl, o.def)) e"
                + "   EXCEPT SELECT d.grantee, d.privilege_type, d.is_grantable, false FROM pg_catalog.aclexplode(o.def) d)"
                + "  UNION ALL"
                + "  (SELECT d.grantee, d.privilege_type, d.is_grantable, true FROM pg_catalog.aclexplode(o.def) d"
                + "   EXCEPT SELECT e.grantee, e.privilege_type, e.is_grantable, true FROM pg_catalog.aclexplode(COALESCE(o.acl, o.def)) e)"
                + " ) g WHERE g.grantee <> o.owner ORDER BY 1, 2, 3, 5, 6";
        each(sql, rs -> {
            String schema = rs.getString(1);
            String name = rs.getString(2);
            String args = rs.getString(3);
            String kind = rs.getString(4);
            String grantee = rs.getString(6);
            if (isOxbowRole(grantee)) {
                return;
            }
            String quoted;
            String object;
            String word;
            switch (kind) {
                case "SCHEMA" -> {
                    quoted = Ident.quote(schema);
                    object = schema;
                    word = "SCHEMA";
                }
                case "FUNCTION" -> {
                    quoted = Ident.qualified(schema, name) + "(" + args + ")";
                    object = functionIdentity(schema, name, args);
                    word = "ROUTINE";
                }
                default -> {
                    quoted = Ident.qualified(schema, name);
                    object = schema + "." + name;
                    word = "SEQUENCE".equals(kind) ? "SEQUENCE" : "TABLE";
                }
            }
            String privilege = rs.getString(5);
            boolean grantable = rs.getBoolean(7);
            String to = grantee == null ? "PUBLIC" : Ident.quote(grantee);
            String on = " ON " + word + " " + quoted;
            String grant = "GRANT " + privilege + on + " TO " + to + (grantable ? " WITH GRANT OPTION" : "");
            String revoke = "REVOKE " + privilege + on + " FROM " + to;
            String identity = privilege + " on " + object + " to " + (grantee == null ? "PUBLIC" : grantee);
            if (rs.getBoolean(8)) {
                add(SchemaKind.GRANT, "default " + identity + " revoked", kind + ":" + object, "revoked", revoke, grant, null);
            } else {
                add(SchemaKind.GRANT, identity, kind + ":" + object, Boolean.toString(grantable), grant, revoke, null);
            }
        });
    }

    private interface Row {
        void read(ResultSet rs) throws SQLException;
    }

    private void each(String sql, Row row) throws SQLException {
        stats.query();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                long bytes = 0;
                for (int i = 1; i <= columns; i++) {
                    String v = rs.getString(i);
                    bytes += v == null ? 0 : v.length();
                }
                stats.row(bytes);
                row.read(rs);
            }
        }
    }
}
