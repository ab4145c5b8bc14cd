package dev.oxbow.controlplane.identity;

import dev.oxbow.metadata.AuditEvent;
import dev.oxbow.metadata.MetadataStore;

import java.time.Instant;
import java.util.List;

/** Who changed what and with which outcome: every API change is appended here; admins and project managers page it. */
public final class AuditTrail {
    private final MetadataStore store;

    public AuditTrail(MetadataStore store) {
        this.store = store;
    }

    public void record(Instant time, String actor, String action, String resource, String outcome, String remote) {
        store.audit().append(time, actor, action, resource, outcome, remote, null);
    }

    /** Newest first, before {@code beforeSeq} (0 = newest); {@code resource} and {@code since} narrow it when set. */
    public List<AuditEvent> page(long beforeSeq, int limit, String resource, Instant since) {
        return store.audit().page(beforeSeq, limit, resource, since);
    }
}
