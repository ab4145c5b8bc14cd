package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.controlplane.branch.BranchService;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Background clean-up: branches past their expire_time are deleted with their computes, and soft-deleted
 * projects and branches past their purge_time are purged (files and metadata). Each action is an
 * ordinary operation, so it survives restarts like any other.
 */
public final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    private final MetadataStore store;
    private final ProjectService projects;
    private final BranchService branches;
    private final Resources resources;
    private final Clock clock;

    public Reaper(MetadataStore store, ProjectService projects, BranchService branches, Resources resources, Clock clock) {
        this.store = store;
        this.projects = projects;
        this.branches = branches;
        this.resources = resources;
        this.clock = clock;
    }

    public void start(BackgroundTasks tasks, Duration every) {
        tasks.every("reaper", every, every, this::sweep);
    }

    /** One pass; public so tests can run it without waiting. */
    public void sweep() {
        Instant now = clock.instant();
        try {
            for (Project p : store.projects().all()) {
                if (p.deleted() && p.purgeTime() != null && !p.purgeTime().isAfter(now)) {
                    log.info("purging soft-deleted project project={} deleted_at={}", p.name(), p.deleteTime());
                    attempt(p.name(), () -> projects.delete(p.name(), true));
                    continue;
                }
                if (p.deleted()) {
                    continue;
                }
                for (Branch b : store.branches().list(p.name())) {
                    if (b.deleted() && b.purgeTime() != null && !b.purgeTime().isAfter(now)) {
                        log.info("purging soft-deleted branch branch={} deleted_at={}", b.name(), b.deleteTime());
                        attempt(b.name(), () -> branches.delete(b.name(), true));
                    } else if (!b.deleted() && b.expireTime() != null && !b.expireTime().isAfter(now)
                            && !b.isProtected() && !b.isDefault() && !resources.hasChildren(b)) {
                        log.info("deleting expired branch branch={} expire_time={}", b.name(), b.expireTime());
                        attempt(b.name(), () -> branches.delete(b.name(), true));
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("reaper pass failed cause={}", e.getMessage());
        }
    }

    private static void attempt(String name, Runnable action) {
        try {
            action.run();
        } catch (ApiException e) {
            log.warn("reaper skipped resource={} cause={}", name, e.getMessage());
        }
    }

}
