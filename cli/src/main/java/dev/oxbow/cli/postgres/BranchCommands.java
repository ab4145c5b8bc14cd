package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Durations;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;

/** create/get/list/update/delete/undelete-branch. TTLs take human durations (7d, 168h) and go on the wire as "<n>s". */
final class BranchCommands {
    static final Table TABLE = Table.of("NAME", "/name", "STATE", "/status/current_state", "DEFAULT", "/status/default",
            "PROTECTED", "/status/is_protected", "SOURCE", "/status/source_branch", "EXPIRES", "/status/expire_time");

    private BranchCommands() {}

    /** Rewrites spec.ttl given as "7d" into "604800s", so --json accepts the same forms as --ttl. */
    static void normaliseTtl(ObjectNode spec, String key) {
        if (spec.path(key).isTextual() && !spec.path(key).asText().matches("\\d+(\\.\\d+)?s")) {
            spec.put(key, Durations.wire(Durations.seconds(spec.path(key).asText())));
        }
    }

    @Command(name = "create-branch", description = "Create a branch: PARENT BRANCH_ID [--ttl 7d | --no-expiry | --expire-time T].")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Project name, e.g. projects/my-app.") String parent;
        @Parameters(index = "1", paramLabel = "BRANCH_ID") String branchId;
        @Option(names = "--ttl", description = "Delete the branch after this long, e.g. 7d, 168h, 3600s.") String ttl;
        @Option(names = "--no-expiry", description = "The branch never expires.") boolean noExpiry;
        @Option(names = "--expire-time", description = "RFC 3339 time at which the branch expires.") String expireTime;
        @Option(names = "--source-branch", description = "Branch to fork (default: the project's default branch).") String sourceBranch;
        @Option(names = "--replace-existing", description = "Adopt the branch if it already exists.") boolean replaceExisting;
        @Option(names = "--masked", description = "Oxbow extension: mask the branch's data with the project's masking rules "
                + "before it serves (see set-masking-rules).") boolean masked;
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            ObjectNode spec = JsonBody.spec(b);
            if (masked) {
                spec.put("masked", true);
            }
            if (ttl != null) {
                spec.put("ttl", Durations.wire(Durations.seconds(ttl)));
            }
            if (noExpiry) {
                spec.put("no_expiry", true);
            }
            if (expireTime != null) {
                spec.put("expire_time", expireTime);
            }
            if (sourceBranch != null) {
                spec.put("source_branch", sourceBranch);
            }
            normaliseTtl(spec, "ttl");
            finish(api.createBranch(Names.project(parent), branchId, b, replaceExisting), "Creating branch " + branchId, true);
        }
    }

    @Command(name = "get-branch", description = "Get a branch by name.")
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "list-branches", description = "List the branches of a project.")
    static final class List extends ResourceCalls.ChildList {
        @Option(names = "--show-deleted", description = "Include soft-deleted branches.") boolean showDeleted;

        List() {
            super("branches", TABLE);
        }

        @Override
        String parent() {
            return Names.project(parent);
        }

        @Override
        void query(Map<String, Object> q) {
            q.put("show_deleted", showDeleted ? "true" : null);
        }
    }

    @Command(name = "update-branch", description = "Update a branch: NAME UPDATE_MASK --json '{\"spec\":{…}}' (e.g. spec.is_protected, spec.expiration).")
    static final class Update extends ResourceCalls.Update {
        Operation<?> update(String name, ObjectNode body, String mask) {
            normaliseTtl(JsonBody.spec(body), "ttl");
            return api.updateBranch(name, body, mask);
        }
    }

    @Command(name = "delete-branch", description = "Delete a branch (soft delete unless --purge).")
    static final class Delete extends ResourceCalls.Delete {
        @Option(names = "--purge", description = "Delete permanently.") boolean purge;

        Operation<?> delete(String name) {
            return api.deleteBranch(name, purge);
        }
    }

    @Command(name = "undelete-branch", description = "Restore a soft-deleted branch.")
    static final class Undelete extends ResourceCalls.Undelete {
        Operation<?> undelete(String name) {
            return api.undeleteBranch(name);
        }
    }

    @Command(name = "restore-branch", description = "Oxbow extension: restore a branch in place to a past point "
            + "(NAME --time T | --lsn L); its current state is kept as branch <id>_old_<timestamp>.")
    static final class Restore extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME", description = "Branch name, e.g. projects/my-app/branches/dev.") String name;
        @Option(names = "--time", description = "RFC 3339 time inside the project's restore window.") String time;
        @Option(names = "--lsn", description = "WAL position, e.g. 0/16B3748.") String lsn;

        void run() throws Exception {
            finish(api.restoreBranch(name, lsn, time), "Restoring branch " + name, true);
        }
    }

    @Command(name = "reset-branch", description = "Oxbow extension: replace a branch's data with its parent's current head (NAME).")
    static final class Reset extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME", description = "Branch name, e.g. projects/my-app/branches/dev.") String name;

        void run() throws Exception {
            finish(api.resetBranch(name), "Resetting branch " + name, true);
        }
    }
}
