package dev.oxbow.controlplane.diff;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The DDL that, run on {@code against}, makes its schema match the branch's: the changed objects, and one script
 * with every DROP first (in reverse dependency order, leaving out what dropping a table or view already drops) and
 * then every CREATE and ALTER (in {@link SchemaKind} order).
 */
public record SchemaDiff(List<SchemaChange> changes, List<String> script) {
    public SchemaDiff {
        changes = List.copyOf(changes);
        script = List.copyOf(script);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public static SchemaDiff between(List<SchemaObject> branch, List<SchemaObject> against) {
        Map<String, SchemaObject> b = byKey(branch);
        Map<String, SchemaObject> a = byKey(against);
        List<SchemaChange> changes = new ArrayList<>();
        List<Step> drops = new ArrayList<>();
        List<Step> creates = new ArrayList<>();
        for (SchemaObject o : a.values()) {
            if (!b.containsKey(o.key())) {
                List<String> statements = parentGone(o, a, b) ? List.of() : List.of(o.drop());
                changes.add(new SchemaChange(o.kind(), o.identity(), SchemaChange.Change.REMOVED, statements));
                statements.forEach(s -> drops.add(new Step(o, s)));
            }
        }
        for (SchemaObject o : b.values()) {
            SchemaObject old = a.get(o.key());
            if (old == null) {
                changes.add(new SchemaChange(o.kind(), o.identity(), SchemaChange.Change.ADDED, List.of(o.create())));
                creates.add(new Step(o, o.create()));
            } else if (!Objects.equals(old.definition(), o.definition())) {
                List<String> statements = new ArrayList<>();
                switch (o.kind()) {
                    case COLUMN -> statements.addAll(alterColumn(old, o));
                    case ROLE -> statements.add("ALTER ROLE " + Ident.quote(o.identity()) + " " + o.definition());
                    case FUNCTION, VIEW -> {
                        if (o.create().startsWith("CREATE OR REPLACE")) {
                            statements.add(o.create());
                        } else { // a materialized view
                            drops.add(new Step(old, old.drop()));
                            statements.add(old.drop());
                            statements.add(o.create());
                        }
                    }
                    default -> {
                        drops.add(new Step(old, old.drop()));
                        statements.add(old.drop());
                        statements.add(o.create());
                    }
                }
                changes.add(new SchemaChange(o.kind(), o.identity(), SchemaChange.Change.CHANGED, statements));
                for (String s : statements) {
                    if (!s.equals(old.drop())) {
                        creates.add(new Step(o, s));
                    }
                }
            }
        }
        changes.sort(Comparator.comparing(SchemaChange::kind).thenComparing(SchemaChange::identity));
        List<String> script = new ArrayList<>();
        drops.stream().sorted(Comparator.comparing((Step s) -> s.object.kind()).reversed().thenComparing(s -> s.object.identity()))
                .forEach(s -> script.add(s.sql));
        creates.stream().sorted(Comparator.comparing((Step s) -> s.object.kind()).thenComparing(s -> s.object.identity()))
                .forEach(s -> script.add(s.sql));
        return new SchemaDiff(changes, script);
    }

    /** A column, constraint, index or grant of a table or view that is itself dropped needs no DROP of its own. */
    private static boolean parentGone(SchemaObject o, Map<String, SchemaObject> against, Map<String, SchemaObject> branch) {
        return o.parent() != null && against.containsKey(o.parent()) && !branch.containsKey(o.parent());
    }

    private static List<String> alterColumn(SchemaObject old, SchemaObject now) {
        String table = now.parts().get("table");
        String column = Ident.quote(now.parts().get("column"));
        if (!Objects.equals(old.parts().get("generated"), now.parts().get("generated"))
                || !Objects.equals(old.parts().get("identity"), now.parts().get("identity"))) {
            return List.of(old.drop(), now.create()); // a generated or identity column cannot be turned into another in place
        }
        List<String> out = new ArrayList<>();
        String prefix = "ALTER TABLE " + table + " ALTER COLUMN " + column;
        if (!Objects.equals(old.parts().get("type"), now.parts().get("type"))) {
            out.add(prefix + " TYPE " + now.parts().get("type"));
        }
        if (!Objects.equals(old.parts().get("default"), now.parts().get("default"))) {
            out.add(now.parts().get("default") == null ? prefix + " DROP DEFAULT" : prefix + " SET DEFAULT " + now.parts().get("default"));
        }
        if (!Objects.equals(old.parts().get("not_null"), now.parts().get("not_null"))) {
            out.add(prefix + ("true".equals(now.parts().get("not_null")) ? " SET NOT NULL" : " DROP NOT NULL"));
        }
        return out;
    }

    private static Map<String, SchemaObject> byKey(List<SchemaObject> objects) {
        Map<String, SchemaObject> out = new LinkedHashMap<>();
        for (SchemaObject o : objects) {
            out.putIfAbsent(o.key(), o);
        }
        return out;
    }

    private record Step(SchemaObject object, String sql) {}
}
