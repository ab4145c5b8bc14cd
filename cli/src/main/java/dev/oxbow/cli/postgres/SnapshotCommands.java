package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Project snapshots and branch snapshot schedules (the Python SDK's preview methods; the Databricks CLI has no
 * commands for them yet, so these follow its naming: create/get/list/delete-snapshot, get/update-snapshot-schedule).
 */
final class SnapshotCommands {
    static final Table TABLE = Table.of("NAME", "/name", "BRANCH", "/status/source_branch", "STATE", "/status/current_state",
            "TIME", "/status/source_branch_time", "SCHEDULED", "/status/scheduled");

    private SnapshotCommands() {}

    @Command(name = "create-snapshot", description = "Snapshot a root branch at its head: PARENT SNAPSHOT_ID --source-branch B "
            + "(or --json '{\"spec\":{\"source_branch\":\"projects/p/branches/production\"}}').")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Project name, e.g. projects/my-app.") String parent;
        @Parameters(index = "1", paramLabel = "SNAPSHOT_ID") String id;
        @Option(names = "--source-branch", description = "Branch to snapshot (a full name or an id in PARENT); default the project's default branch.")
        String sourceBranch;
        @Mixin JsonBody body;

        void run() throws Exception {
            String project = Names.project(parent);
            ObjectNode b = body.object();
            if (sourceBranch != null) {
                JsonBody.spec(b).put("source_branch", sourceBranch.contains("/") ? sourceBranch : project + "/branches/" + sourceBranch);
            }
            finish(api.createSnapshot(project, id, b), "Snapshotting " + project + " as " + id, true);
        }
    }

    @Command(name = "get-snapshot", description = "Get a snapshot: projects/P/snapshots/S.")
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "list-snapshots", description = "List a project's snapshots (manual and scheduled).")
    static final class List extends ResourceCalls.ChildList {
        List() {
            super("snapshots", TABLE);
        }

        @Override
        String parent() {
            return Names.project(super.parent());
        }
    }

    @Command(name = "delete-snapshot", description = "Delete a snapshot.")
    static final class Delete extends ResourceCalls.Delete {
        @Option(names = "--allow-missing", description = "Succeed when the snapshot does not exist.") boolean allowMissing;

        Operation<?> delete(String name) {
            return api.deleteSnapshot(name, allowMissing);
        }
    }

    @Command(name = "get-snapshot-schedule", description = "Get a branch's snapshot schedule: projects/P/branches/B.")
    static final class GetSchedule extends PostgresCall {
        @Parameters(index = "0", paramLabel = "BRANCH") String branch;

        void run() throws Exception {
            print(api.getJson(branch + "/snapshot-schedule"));
        }
    }

    @Command(name = "update-snapshot-schedule", description = "Set a branch's snapshot schedule: BRANCH FREQUENCY "
            + "(DAILY, WEEKLY, MONTHLY or NONE), or BRANCH --json '{\"spec\":{\"frequency\":\"DAILY\"}}'.")
    static final class UpdateSchedule extends PostgresCall {
        @Parameters(index = "0", paramLabel = "BRANCH") String branch;
        @Parameters(index = "1", arity = "0..1", paramLabel = "FREQUENCY") String frequency;
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            if (frequency != null) {
                JsonBody.spec(b).put("frequency", frequency.toUpperCase(java.util.Locale.ROOT));
            }
            // the API answers with the schedule itself; printed as it came
            print(api.updateSnapshotScheduleJson(branch, b, "spec.frequency"));
        }
    }
}
