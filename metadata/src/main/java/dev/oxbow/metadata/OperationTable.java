package dev.oxbow.metadata;

import java.util.List;
import java.util.Optional;

/** Long-running operations; kept after they finish so clients can poll them. */
public final class OperationTable {
    private final SqliteDatabase db;
    private final RecordJson json;

    OperationTable(SqliteDatabase db, RecordJson json) {
        this.db = db;
        this.json = json;
    }

    public void put(Operation op) {
        int n = db.update("UPDATE operations SET done = ?, body = ? WHERE name = ?", op.done() ? 1 : 0, json.write(op), op.name());
        if (n == 0) {
            db.update("INSERT INTO operations (name, project_id, done, create_time, body) VALUES (?, ?, ?, ?, ?)",
                    op.name(), op.projectId(), op.done() ? 1 : 0, op.createTime().toString(), json.write(op));
        }
    }

    public Optional<Operation> get(String name) {
        List<String[]> rows = db.query("SELECT body FROM operations WHERE name = ?", 1, name);
        return rows.isEmpty() ? Optional.empty() : Optional.of(json.read(rows.get(0)[0], Operation.class));
    }

    /** Operations not yet done, oldest first: what a restart must resume. */
    public List<Operation> pending() {
        return db.query("SELECT body FROM operations WHERE done = 0 ORDER BY create_time, rowid", 1)
                .stream().map(r -> json.read(r[0], Operation.class)).toList();
    }

    /** Forgets every operation of {@code projectId}: a new project with a purged one's id starts with none. */
    public void deleteProject(String projectId) {
        db.update("DELETE FROM operations WHERE project_id = ?", projectId);
    }

    public List<Operation> recent(String projectId, int limit) {
        return db.query("SELECT body FROM operations WHERE project_id = ? ORDER BY create_time DESC, rowid DESC LIMIT ?", 1,
                        projectId, limit)
                .stream().map(r -> json.read(r[0], Operation.class)).toList();
    }
}
