package dev.oxbow.controlplane.diff;

import java.util.Map;

/**
 * One schema object as read from a branch's catalogs: its kind and identity (for example {@code public.orders.note}),
 * the identity of the object it belongs to (a column's or a grant's table: dropping that drops this too), what is
 * compared ({@code definition}), the DDL that creates and the DDL that drops it, and named parts for objects altered
 * in place (a column's type, default and nullability; a role's attributes).
 */
public record SchemaObject(SchemaKind kind, String identity, String parent, String definition, String create, String drop,
                           Map<String, String> parts) {
    public SchemaObject {
        parts = parts == null ? Map.of() : Map.copyOf(parts);
    }

    public String key() {
        return kind + ":" + identity;
    }
}
