package dev.oxbow.controlplane.branch;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.endpoint.EndpointRules;
import dev.oxbow.controlplane.history.Timelines;
import dev.oxbow.controlplane.masking.MaskingRules;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.controlplane.resource.Paging;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.controlplane.resource.UpdateMask;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Page;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;

import dev.oxbow.storage.PointInTimeRecovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Branches: validation and acceptance; {@link BranchOperations} does the work. */
public final class BranchService {
    private static final String METADATA = "BranchOperationMetadata";
    private static final Set<String> UPDATABLE = Set.of("spec.is_protected", "spec.expiration", "spec.ttl",
            "spec.expire_time", "spec.no_expiry");
    /** How long a create call waits for its branch's consistent copy before returning the operation anyway. */
    private static final Duration POINT_WAIT = Duration.ofSeconds(60);

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final EndpointRules endpointRules;
    private final Limits limits;
    private final Uids uids;
    private final Clock clock;
    private final Duration softDeleteRetention;
    private final Timelines timelines;
    private final MaskingRules maskingRules;

    public BranchService(MetadataStore store, OperationExecutor ops, Resources resources, EndpointRules endpointRules,
                  Limits limits, Uids uids, Clock clock, Duration softDeleteRetention, Timelines timelines, MaskingRules maskingRules) {
        this.timelines = timelines;
        this.maskingRules = maskingRules;
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.endpointRules = endpointRules;
        this.limits = limits;
        this.uids = uids;
        this.clock = clock;
        this.softDeleteRetention = softDeleteRetention;
    }

    public Operation create(String parent, String branchId, Specs.BranchSpec spec, boolean replaceExisting) {
        return create(parent, branchId, spec, replaceExisting, null);
    }

    /**
     * {@code fromSnapshot} (BranchSpec.source_snapshot), when set, is the data the branch starts with: a child of the
     * snapshot's branch at the snapshot's point, with the roles and databases it had then.
     */
    public Operation create(String parent, String branchId, Specs.BranchSpec spec, boolean replaceExisting, ProjectSnapshot fromSnapshot) {
        return create(parent, branchId, spec, replaceExisting, fromSnapshot, null);
    }

    /**
     * {@code masked} (Oxbow's {@code spec.masked}): the branch's data is masked with the project's rules before any
     * endpoint serves it. A child of a masked branch is masked whatever is asked (its data is masked already, and its
     * history must stay so); asking for {@code false} there is refused.
     */
    public Operation create(String parent, String branchId, Specs.BranchSpec spec, boolean replaceExisting, ProjectSnapshot fromSnapshot,
                            Boolean masked) {
        Project project = resources.liveProject(parent);
        Validate.id("branch_id", branchId);
        Specs.BranchSpec s = spec == null ? Specs.BranchSpec.EMPTY : spec;
        String name = Branch.nameOf(project.projectId(), branchId);
        var existing = store.branches().get(name);
        if (existing.isPresent()) {
            if (!replaceExisting || existing.get().deleted()) {
                throw ApiException.alreadyExists("branch with such id already exists: " + name);
            }
            if (masked != null && masked != existing.get().masked()) {
                throw ApiException.invalid("Field spec.masked (" + masked + ") does not match the existing branch " + name
                        + ", which is " + (existing.get().masked() ? "masked" : "not masked") + "; masking is fixed when a branch is created.");
            }
            return adopt(existing.get(), s);
        }
        if (fromSnapshot != null) {
            checkSnapshotSource(project, s, fromSnapshot);
        }
        String sourceName = resources.branchName(project.projectId(), fromSnapshot != null ? fromSnapshot.sourceBranchId()
                : s.sourceBranch() == null ? project.defaultBranchId() : s.sourceBranch());
        if (!sourceName.startsWith(project.name() + "/branches/")) {
            throw ApiException.invalid("Field spec.source_branch must be a branch of " + project.name() + ", got '" + s.sourceBranch() + "'.");
        }
        Branch source = resources.liveBranch(sourceName);
        PointInTimeRecovery.Target past = target(s.sourceBranchLsn(), s.sourceBranchTime(), "spec.source_branch_lsn", "spec.source_branch_time");
        if (past != null) {
            resolvePoint(project, source, past, past.lsn() != null ? "spec.source_branch_lsn" : "spec.source_branch_time");
        }
        if (source.expireTime() != null) {
            throw ApiException.invalid("Branch " + sourceName + " expires at " + source.expireTime()
                    + " and a branch with children cannot expire: give it no_expiry (update_mask=spec.expiration) before branching from it.");
        }
        // project snapshots are of root branches, which are never masked: a branch from one masks its own data
        boolean inheritsMasking = fromSnapshot == null && source.masked();
        if (inheritsMasking && Boolean.FALSE.equals(masked)) {
            throw ApiException.invalid("Field spec.masked cannot be false: " + sourceName + " is masked, and so is every branch made from it.");
        }
        if (inheritsMasking && (!source.maskingDone() || source.state() == BranchState.INIT)) {
            throw ApiException.invalidState("Branch " + sourceName + " is still being masked; branch from it once it is READY.");
        }
        boolean masksOwnData = !inheritsMasking && Boolean.TRUE.equals(masked);
        if (masksOwnData && maskingRules.get(project.name()).rules().isEmpty()) {
            throw ApiException.invalid("Field spec.masked: project " + project.name() + " has no masking rules; set them first"
                    + " (PATCH /api/2.0/oxbow/" + project.name() + "/masking-rules).");
        }
        boolean isProtected = Boolean.TRUE.equals(s.isProtected());
        Instant now = clock.instant();
        Instant expireTime = expiration(s, isProtected, false, now, true);
        Branch branch = Branch.newBranch(project.projectId(), branchId, uids.branch(), now)
                .isProtected(isProtected).sourceBranchId(source.branchId()).expireTime(expireTime)
                .sourceBranchLsn(fromSnapshot == null ? null : fromSnapshot.lsn())
                .sourceBranchTime(fromSnapshot == null ? null : fromSnapshot.time())
                .masked(inheritsMasking || masksOwnData)
                .maskedLsn(inheritsMasking ? source.maskedLsn() : null).maskedTime(inheritsMasking ? source.maskedTime() : null).build();
        Endpoint primary = endpointRules.defaultPrimary(project, branch, now);
        OperationRequest.CreateBranch request = fromSnapshot != null ? OperationRequest.CreateBranch.fromSnapshot(fromSnapshot.name())
                : OperationRequest.CreateBranch.of(past);
        Operation op = ops.create(name, project.projectId(), OperationKind.CREATE_BRANCH, METADATA, request);
        store.transaction(() -> {
            if (store.branches().get(name).isPresent()) {
                throw ApiException.alreadyExists("branch with such id already exists: " + name);
            }
            List<Branch> all = store.branches().list(project.name());
            if (all.size() >= limits.branchesPerProject()) {
                throw ApiException.quota("Project " + project.name() + " has reached its limit of " + limits.branchesPerProject()
                        + " branches; delete unused branches first.");
            }
            checkProtectedLimit(project, all, isProtected, null);
            endpointRules.checkActiveComputes(store, project, 1);
            store.branches().insert(branch);
            store.endpoints().insert(primary);
            var roles = fromSnapshot != null ? fromSnapshot.roles() : store.roles().list(source.name());
            var databases = fromSnapshot != null ? fromSnapshot.databases() : store.databases().list(source.name());
            roles.forEach(r -> store.roles().insert(inherited(r, source, branchId, now)));
            databases.forEach(d -> store.databases().insert(d.onBranch(branchId, now)));
            store.operations().put(op);
        });
        ops.submit(op).awaitPoint(POINT_WAIT);
        return op;
    }

    /**
     * A role as a child branch inherits it. Children of a protected branch get new passwords for native
     * roles, so the protected branch's passwords do not leak (reset them on the child to learn them).
     */
    private static dev.oxbow.metadata.Role inherited(dev.oxbow.metadata.Role r, Branch source, String branchId, Instant now) {
        dev.oxbow.metadata.Role copy = r.onBranch(branchId, now);
        if (!source.isProtected() || r.scramVerifier() == null) {
            return copy;
        }
        return new dev.oxbow.metadata.Role(copy.projectId(), copy.branchId(), copy.roleId(), copy.createTime(), copy.updateTime(),
                copy.postgresRole(), copy.identityType(), copy.authMethod(), copy.membershipRoles(), copy.bypassrls(), copy.createdb(),
                copy.createrole(), dev.oxbow.auth.ScramVerifier.create(dev.oxbow.auth.Passwords.generate().toCharArray()));
    }

    private Operation adopt(Branch current, Specs.BranchSpec s) {
        Set<String> mask = new java.util.LinkedHashSet<>();
        if (s.isProtected() != null) {
            mask.add("spec.is_protected");
        }
        if (s.ttlSeconds() != null || s.expireTime() != null || s.noExpiry() != null) {
            mask.add("spec.expiration");
        }
        if (mask.isEmpty()) {
            Operation op = ops.create(current.name(), current.projectId(), OperationKind.UPDATE_BRANCH, METADATA, OperationRequest.NONE);
            store.operations().put(op);
            ops.submit(op);
            return op;
        }
        return update(current.name(), s, mask);
    }

    public Branch get(String name) {
        return resources.liveBranch(name);
    }

    /** What GET answers: the branch, also while soft-deleted (with its delete and purge times) until it is purged. */
    public Branch read(String name) {
        return resources.branch(name);
    }

    public ListResult<Branch> list(String parent, Integer pageSize, String pageToken, boolean showDeleted) {
        Project project = resources.liveProject(parent);
        Paging paging = Paging.of(pageSize, pageToken);
        Page<Branch> page = store.branches().page(project.name(), paging.fromSeq(), paging.pageSize());
        return new ListResult<>(page.items().stream().filter(b -> showDeleted || !b.deleted()).toList(), Paging.token(page.nextSeq()));
    }

    public Operation update(String name, Specs.BranchSpec spec, Set<String> mask) {
        Branch current = resources.liveBranch(name);
        Project project = resources.projectOf(current.projectId());
        Specs.BranchSpec s = spec == null ? Specs.BranchSpec.EMPTY : spec;
        Set<String> paths = UpdateMask.check(mask, UPDATABLE, () -> {
            Set<String> set = new java.util.LinkedHashSet<>();
            if (s.isProtected() != null) set.add("spec.is_protected");
            if (s.ttlSeconds() != null || s.expireTime() != null || s.noExpiry() != null) set.add("spec.expiration");
            return set;
        });
        boolean isProtected = current.isProtected();
        Instant expireTime = current.expireTime();
        boolean expirationChanged = false;
        for (String path : paths) {
            if (path.equals("spec.is_protected")) {
                if (s.isProtected() == null) {
                    throw ApiException.invalid("update_mask names spec.is_protected but the body does not set it.");
                }
                isProtected = s.isProtected();
            } else {
                expirationChanged = true;
            }
        }
        Instant now = clock.instant();
        if (expirationChanged) {
            expireTime = expiration(s, isProtected, current.isDefault() || resources.hasChildren(current), now, true);
        } else if (isProtected && expireTime != null) {
            throw ApiException.invalid("Branch " + name + " expires at " + expireTime
                    + "; protected branches cannot expire. Set no_expiry (update_mask=spec.is_protected,spec.expiration) to protect it.");
        }
        Branch updated = current.toBuilder().updateTime(now).isProtected(isProtected).expireTime(expireTime)
                .deleteTime(null).purgeTime(null).build();
        Operation op = ops.create(name, current.projectId(), OperationKind.UPDATE_BRANCH, METADATA, OperationRequest.NONE);
        boolean protect = isProtected;
        store.transaction(() -> {
            checkProtectedLimit(project, store.branches().list(project.name()), protect, current.branchId());
            store.branches().put(updated);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation delete(String name, boolean purge) {
        return delete(name, purge, false);
    }

    /** With {@code allowMissing} (DeleteBranchRequest.allow_missing) a branch that does not exist is a success that does nothing. */
    public Operation delete(String name, boolean purge, boolean allowMissing) {
        if (allowMissing) {
            String[] ids = dev.oxbow.controlplane.resource.Names.parse(name, "projects", "branches");
            if (store.branches().get(name).map(b -> b.deleted() && !purge).orElse(true)) {
                Project project = resources.projectOf(ids[0]);
                Operation op = ops.create(name, project.projectId(), OperationKind.DELETE_BRANCH, METADATA, new OperationRequest.Delete(purge));
                store.operations().put(op);
                ops.submit(op);
                return op;
            }
        }
        Branch branch = resources.branch(name);
        if (branch.deleted() && !purge) {
            throw ApiException.notFound("branch", name);
        }
        if (branch.isRoot()) {
            throw ApiException.managedByParent("Cannot delete root branch '" + name + "'. Root branches cannot be deleted independently.");
        }
        if (branch.isProtected()) {
            throw ApiException.badRequest("cannot delete protected branch " + name + "; unprotect it first (update_mask=spec.is_protected).");
        }
        if (branch.isDefault()) {
            throw ApiException.badRequest("Cannot delete the default branch " + name + "; make another branch the project's default first (update_mask=spec.default_branch).");
        }
        if (resources.hasChildren(branch)) {
            throw ApiException.badRequest("Cannot delete branch " + name + " because it has child branches; delete them first.");
        }
        Instant now = clock.instant();
        Operation op = ops.create(name, branch.projectId(), OperationKind.DELETE_BRANCH, METADATA, new OperationRequest.Delete(purge));
        store.transaction(() -> {
            if (!branch.deleted()) {
                store.branches().put(deleted(branch, now, now, now.plus(softDeleteRetention)));
            }
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /**
     * Restores the branch in place to a past point (Lakebase's instant restore): its current state is kept
     * as a new branch {@code <id>_old_<timestamp>}, then the branch holds its data as of the point.
     */
    public Operation restore(String name, String lsn, Instant time) {
        Branch branch = resources.liveBranch(name);
        Project project = resources.projectOf(branch.projectId());
        checkReplaceable(branch, "restore");
        PointInTimeRecovery.Target point = target(lsn, time, "source_branch_lsn", "source_branch_time");
        if (point == null) {
            throw ApiException.invalid("Set one of source_branch_time or source_branch_lsn: the point to restore " + name + " to.");
        }
        resolvePoint(project, branch, point, point.lsn() != null ? "source_branch_lsn" : "source_branch_time");
        Instant now = clock.instant();
        String oldId = oldBranchId(branch.branchId(), now);
        if (store.branches().get(Branch.nameOf(branch.projectId(), oldId)).isPresent()) {
            throw ApiException.alreadyExists("branch " + oldId + " already exists; wait a second and retry the restore.");
        }
        return replace(branch, project, OperationKind.RESTORE_BRANCH,
                new OperationRequest.RestoreBranch(point.lsn(), point.time(), oldId, uids.branch(), null), 1);
    }

    /**
     * Restores the branch in place from a project snapshot (any branch of the project, root ones included): its
     * current state is kept as a new branch {@code <id>_old_<timestamp>}, then it holds the snapshot's data, roles
     * and databases.
     */
    public Operation restoreFromSnapshot(String name, ProjectSnapshot snapshot) {
        Branch branch = resources.liveBranch(name);
        Project project = resources.projectOf(branch.projectId());
        if (branch.masked()) {
            throw ApiException.badRequest("Cannot restore masked branch " + name + " from snapshot " + snapshot.name()
                    + ": snapshots are of root branches, which hold unmasked data. Create a new masked branch from the snapshot instead.");
        }
        if (!snapshot.projectId().equals(branch.projectId())) {
            throw ApiException.invalid("Field source_snapshot must be a snapshot of " + project.name() + ", got '" + snapshot.name() + "'.");
        }
        if (branch.isProtected()) {
            throw ApiException.badRequest("Cannot restore protected branch " + name + "; unprotect it first (update_mask=spec.is_protected).");
        }
        if (resources.hasChildren(branch)) {
            throw ApiException.badRequest("Cannot restore branch " + name + " because it has child branches; delete them first.");
        }
        Instant now = clock.instant();
        String oldId = oldBranchId(branch.branchId(), now);
        if (store.branches().get(Branch.nameOf(branch.projectId(), oldId)).isPresent()) {
            throw ApiException.alreadyExists("branch " + oldId + " already exists; wait a second and retry the restore.");
        }
        return replace(branch, project, OperationKind.RESTORE_BRANCH,
                new OperationRequest.RestoreBranch(null, null, oldId, uids.branch(), snapshot.name()), 1);
    }

    private static void checkSnapshotSource(Project project, Specs.BranchSpec s, ProjectSnapshot snapshot) {
        if (!snapshot.projectId().equals(project.projectId())) {
            throw ApiException.invalid("Field spec.source_snapshot must be a snapshot of " + project.name() + ", got '" + snapshot.name() + "'.");
        }
        if (s.sourceBranchLsn() != null || s.sourceBranchTime() != null) {
            throw ApiException.invalid("Field spec.source_snapshot is a point already; do not set spec.source_branch_lsn or spec.source_branch_time with it.");
        }
        if (s.sourceBranch() != null && !s.sourceBranch().isBlank()
                && !s.sourceBranch().equals(snapshot.sourceBranchId()) && !s.sourceBranch().equals(Branch.nameOf(project.projectId(), snapshot.sourceBranchId()))) {
            throw ApiException.invalid("Field spec.source_branch (" + s.sourceBranch() + ") is not the branch snapshot " + snapshot.name()
                    + " was taken of (" + Branch.nameOf(project.projectId(), snapshot.sourceBranchId()) + "); leave it unset.");
        }
    }

    /** Replaces the branch's data with its parent's head; local changes are lost. */
    public Operation reset(String name) {
        Branch branch = resources.liveBranch(name);
        Project project = resources.projectOf(branch.projectId());
        checkReplaceable(branch, "reset");
        Branch parent = resources.liveBranch(Branch.nameOf(branch.projectId(), branch.sourceBranchId()));
        if (branch.masked() && !parent.masked()) {
            throw ApiException.badRequest("Cannot reset masked branch " + name + ": its parent " + parent.name()
                    + " holds unmasked data. Delete it and create a new masked branch instead.");
        }
        return replace(branch, project, OperationKind.RESET_BRANCH, new OperationRequest.ResetBranch(), 0);
    }

    private Operation replace(Branch branch, Project project, OperationKind kind, OperationRequest request, int addedBranches) {
        Operation op = ops.create(branch.name(), branch.projectId(), kind, METADATA, request);
        Instant now = clock.instant();
        store.transaction(() -> {
            Branch current = Cascade.requireBranch(store, branch.name());
            if (current.state() != BranchState.READY) {
                throw ApiException.invalidState("Branch " + branch.name() + " is " + current.state() + "; wait for its current operation to finish.");
            }
            if (addedBranches > 0 && store.branches().list(project.name()).size() + addedBranches > limits.branchesPerProject()) {
                throw ApiException.quota("Project " + project.name() + " has reached its limit of " + limits.branchesPerProject()
                        + " branches, and a restore keeps the current state as a new branch; delete unused branches first.");
            }
            store.branches().put(current.withPending(BranchState.RESETTING, now));
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** Restore and reset replace a branch's data: not for root, protected or parent branches. */
    private void checkReplaceable(Branch branch, String verb) {
        if (branch.isRoot()) {
            throw ApiException.badRequest("Cannot " + verb + " root branch " + branch.name() + ": it has no parent. "
                    + "Create a branch from a past point instead (spec.source_branch_time or spec.source_branch_lsn).");
        }
        if (branch.isProtected()) {
            throw ApiException.badRequest("Cannot " + verb + " protected branch " + branch.name() + "; unprotect it first (update_mask=spec.is_protected).");
        }
        if (resources.hasChildren(branch)) {
            throw ApiException.badRequest("Cannot " + verb + " branch " + branch.name() + " because it has child branches; delete them first.");
        }
    }

    static String oldBranchId(String branchId, Instant now) {
        String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(java.time.ZoneOffset.UTC).format(now);
        String base = branchId.length() > 63 - 19 ? branchId.substring(0, 63 - 19) : branchId;
        return base + "_old_" + stamp;
    }

    private static PointInTimeRecovery.Target target(String lsn, Instant time, String lsnField, String timeField) {
        if (lsn != null && time != null) {
            throw ApiException.invalid("Fields " + lsnField + " and " + timeField + " are mutually exclusive; set only one.");
        }
        if (lsn != null && !dev.oxbow.compute.Lsn.valid(lsn)) {
            throw ApiException.invalid("Field " + lsnField + " must be an LSN like 0/16B3748, got '" + lsn + "'.");
        }
        return lsn == null && time == null ? null : new PointInTimeRecovery.Target(lsn == null ? null : lsn.toUpperCase(java.util.Locale.ROOT), time);
    }

    private void resolvePoint(Project project, Branch branch, PointInTimeRecovery.Target point, String field) {
        try {
            timelines.resolve(project, branch, point, field);
        } catch (java.io.IOException e) {
            throw ApiException.internal("cannot read the history of " + branch.name() + ": " + e.getMessage());
        }
    }

    public Operation undelete(String name) {
        Branch branch = resources.branch(name);
        if (!branch.deleted()) {
            throw ApiException.invalidState("Branch " + name + " is not deleted; there is nothing to undelete.");
        }
        Branch parent = branch.isRoot() ? null : store.branches().get(Branch.nameOf(branch.projectId(), branch.sourceBranchId())).orElse(null);
        if (parent != null && parent.deleted()) {
            throw ApiException.invalidState("Cannot undelete " + name + ": its parent branch " + parent.name() + " is deleted; undelete the parent first.");
        }
        Instant now = clock.instant();
        Operation op = ops.create(name, branch.projectId(), OperationKind.UNDELETE_BRANCH, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            store.branches().put(deleted(branch, now, null, null));
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    private static Branch deleted(Branch b, Instant now, Instant deleteTime, Instant purgeTime) {
        return b.toBuilder().updateTime(now).state(deleteTime == null ? BranchState.READY : BranchState.DELETED).pendingState(null)
                .stateChangeTime(now).deleteTime(deleteTime).purgeTime(purgeTime).build();
    }

    /** Exactly one of ttl, expire_time, no_expiry=true; returns the expiry instant or null for none. */
    private Instant expiration(Specs.BranchSpec s, boolean isProtected, boolean cannotExpire, Instant now, boolean required) {
        int set = (s.ttlSeconds() != null ? 1 : 0) + (s.expireTime() != null ? 1 : 0) + (s.noExpiry() != null ? 1 : 0);
        if (set == 0 && required) {
            throw ApiException.invalid("Set exactly one of spec.ttl, spec.expire_time or spec.no_expiry=true to say when the branch expires.");
        }
        if (set > 1) {
            throw ApiException.invalid("Fields spec.ttl, spec.expire_time and spec.no_expiry are mutually exclusive; set only one.");
        }
        if (s.noExpiry() != null) {
            if (!s.noExpiry()) {
                throw ApiException.invalid("Field spec.no_expiry must be true when given; use spec.ttl or spec.expire_time to set an expiry.");
            }
            return null;
        }
        Instant expire = s.ttlSeconds() != null ? now.plusSeconds(s.ttlSeconds()) : s.expireTime();
        if (s.ttlSeconds() != null && s.ttlSeconds() <= 0) {
            throw ApiException.invalid("Field spec.ttl must be positive, got " + s.ttlSeconds() + "s.");
        }
        if (!expire.isAfter(now)) {
            throw ApiException.invalid("Field spec.expire_time must be in the future, got " + expire + ".");
        }
        if (expire.isAfter(now.plusSeconds(limits.maxBranchTtlSeconds()))) {
            throw ApiException.invalid("Branch expiration must be at most " + limits.maxBranchTtlSeconds() / 86400
                    + " days from now (" + limits.maxBranchTtlSeconds() + "s).");
        }
        if (isProtected) {
            throw ApiException.invalid("Protected branches cannot expire; use spec.no_expiry=true.");
        }
        if (cannotExpire) {
            throw ApiException.invalid("Default branches and branches with children cannot expire; use spec.no_expiry=true.");
        }
        return expire;
    }

    private void checkProtectedLimit(Project project, List<Branch> all, boolean isProtected, String self) {
        if (!isProtected) {
            return;
        }
        long others = all.stream().filter(b -> b.isProtected() && !b.deleted() && !b.branchId().equals(self)).count();
        if (others >= limits.protectedBranchesPerProject()) {
            throw ApiException.quota("Project " + project.name() + " already has " + others + " protected branch(es), the limit is "
                    + limits.protectedBranchesPerProject() + "; unprotect one first.");
        }
    }

}
