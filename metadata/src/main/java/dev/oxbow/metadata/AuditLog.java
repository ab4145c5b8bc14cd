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
        db.append("INSERT INTO audit_log (time, actor, action, resource, outcome, remote, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                time.toString(), actor, action, resource, outcome, remote, detail);
    }

    /**
     * Up to {@code limit} events older than {@code beforeSeq} (0 = newest), optionally only for {@code resource} itself
     * and the resources under it (a path prefix: {@code projects/a} never matches {@code projects/adminp}), and
     * optionally only from {@code since} on.
     */
    public List<AuditEvent> page(long beforeSeq, int limit, String resource, Instant since) {
        String children = resource == null ? "%" : SqliteDatabase.escapeLike(resource) + "/%";
        return db.query("SELECT seq, time, actor, action, resource, outcome, remote, detail FROM audit_log "
                                + "WHERE (? = 0 OR seq < ?) AND (? IS NULL OR resource = ? OR resource LIKE ? ESCAPE '\\') "
                                + "AND (? IS NULL OR julianday(time) >= julianday(?)) ORDER BY seq DESC LIMIT ?",
                        8, beforeSeq, beforeSeq, resource, resource, children,
                        since == null ? null : since.toString(), since == null ? null : since.toString(), limit)
                .stream().map(r -> new AuditEvent(Long.parseLong(r[0]), Instant.parse(r[1]), r[2], r[3], r[4], r[5], r[6], r[7])).toList();
    }
}
