package dev.oxbow.metadata;

import java.util.List;
import java.util.Optional;

/** Stored resources of one kind, addressed by name, listed under a parent in creation order. */
public final class ResourceTable<T extends Resource> {
    private final SqliteDatabase db;
    private final RecordJson json;
    private final String kind;
    private final Class<T> type;

    ResourceTable(SqliteDatabase db, RecordJson json, String kind, Class<T> type) {
        this.db = db;
        this.json = json;
        this.kind = kind;
        this.type = type;
    }

    public Optional<T> get(String name) {
        List<String[]> rows = db.query("SELECT body FROM resources WHERE kind = ? AND name = ?", 1, kind, name);
        return rows.isEmpty() ? Optional.empty() : Optional.of(json.read(rows.get(0)[0], type));
    }

    /** The resource whose uid is {@code uid} (uids are unique within a kind; indexed). */
    public Optional<T> getByUid(String uid) {
        List<String[]> rows = db.query("SELECT body FROM resources WHERE kind = ? AND json_extract(body, '$.uid') = ?", 1, kind, uid);
        return rows.isEmpty() ? Optional.empty() : Optional.of(json.read(rows.get(0)[0], type));
    }

    /** Up to {@code limit} children of {@code parent} created at or after {@code fromSeq}. */
    public Page<T> page(String parent, long fromSeq, int limit) {
        List<String[]> rows = db.query(
                "SELECT seq, body FROM resources WHERE kind = ? AND parent = ? AND seq >= ? ORDER BY seq LIMIT ?",
                2, kind, parent, fromSeq, limit + 1);
        List<T> items = rows.stream().limit(limit).map(r -> json.read(r[1], type)).toList();
        long next = rows.size() > limit ? Long.parseLong(rows.get(limit)[0]) : 0;
        return new Page<>(items, next);
    }

    public List<T> list(String parent) {
        return db.query("SELECT body FROM resources WHERE kind = ? AND parent = ? ORDER BY seq", 1, kind, parent)
                .stream().map(r -> json.read(r[0], type)).toList();
    }

    /** Everything of this kind whose name starts with {@code prefix} (e.g. all branches of a project). */
    public List<T> listUnder(String prefix) {
        return db.query("SELECT body FROM resources WHERE kind = ? AND name LIKE ? ESCAPE '\\' ORDER BY seq", 1,
                        kind, SqliteDatabase.escapeLike(prefix) + "%")
                .stream().map(r -> json.read(r[0], type)).toList();
    }

    public List<T> all() {
        return db.query("SELECT body FROM resources WHERE kind = ? ORDER BY seq", 1, kind)
                .stream().map(r -> json.read(r[0], type)).toList();
    }

    public void insert(T resource) {
        db.update("INSERT INTO resources (kind, name, parent, body) VALUES (?, ?, ?, ?)",
                kind, resource.name(), resource.parentName(), json.write(resource));
    }

    /** Replaces the stored record with the same name; inserts it if missing. */
    public void put(T resource) {
        int n = db.update("UPDATE resources SET body = ? WHERE kind = ? AND name = ?",
                json.write(resource), kind, resource.name());
        if (n == 0) {
            insert(resource);
        }
    }

    public boolean delete(String name) {
        return db.update("DELETE FROM resources WHERE kind = ? AND name = ?", kind, name) > 0;
    }

    public int count(String parent) {
        return Integer.parseInt(db.query("SELECT count(*) FROM resources WHERE kind = ? AND parent = ?", 1, kind, parent)
                .get(0)[0]);
    }
}
