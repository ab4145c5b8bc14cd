package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/** Append-only audit events, read newest first. */
public final class AuditLog {
    private final SqliteDatabase db;

    AuditLog(SqliteDatabase db) {
        this.db = db;
    }

    public void append(Instant time, String actor, String action, String resource, String outcome, String remote, String detail) {
        db.update("INSERT INTO audit_log (time, actor, action, resource, outcome, remote, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                time.toString(), actor, action, resource, outcome, remote, detail);
    }

    /** Up to {@code limit} events older than {@code beforeSeq} (0 = newest), optionally only for resources under {@code prefix}. */
    public List<AuditEvent> page(long beforeSeq, int limit, String prefix) {
        String escaped = prefix == null ? "%" : prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return db.query("SELECT seq, time, actor, action, resource, outcome, remote, detail FROM audit_log "
                                + "WHERE (? = 0 OR seq < ?) AND resource LIKE ? ESCAPE '\\' ORDER BY seq DESC LIMIT ?",
                        8, beforeSeq, beforeSeq, escaped, limit)
                .stream().map(r -> new AuditEvent(Long.parseLong(r[0]), Instant.parse(r[1]), r[2], r[3], r[4], r[5], r[6], r[7])).toList();
    }
}
