package dev.oxbow.cli.postgres;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code oxbow postgres …}: the same commands, arguments and flags as {@code databricks postgres}. */
@Command(name = "postgres", mixinStandardHelpOptions = true,
        description = "Manage Lakebase projects, branches, endpoints, roles, databases, synced tables and catalogs.",
        subcommands = {
                ProjectCommands.Create.class, ProjectCommands.Get.class, ProjectCommands.List.class, ProjectCommands.Update.class,
                ProjectCommands.Delete.class, ProjectCommands.Undelete.class,
                BranchCommands.Create.class, BranchCommands.Get.class, BranchCommands.List.class, BranchCommands.Update.class,
                BranchCommands.Delete.class, BranchCommands.Undelete.class, BranchCommands.Restore.class, BranchCommands.Reset.class,
                DiffCommands.DiffBranches.class,
                MaskingCommands.Get.class, MaskingCommands.Set.class,
                EndpointCommands.Create.class, EndpointCommands.Get.class, EndpointCommands.List.class, EndpointCommands.Update.class,
                EndpointCommands.Delete.class,
                RoleCommands.Create.class, RoleCommands.Get.class, RoleCommands.List.class, RoleCommands.Update.class, RoleCommands.Delete.class,
                DatabaseCommands.Create.class, DatabaseCommands.Get.class, DatabaseCommands.List.class, DatabaseCommands.Update.class,
                DatabaseCommands.Delete.class,
                DataApiCommands.Create.class, DataApiCommands.Get.class, DataApiCommands.Update.class, DataApiCommands.Delete.class,
                SyncedTableCommands.Create.class, SyncedTableCommands.Get.class, SyncedTableCommands.Delete.class,
                CatalogCommands.Create.class, CatalogCommands.Get.class, CatalogCommands.Delete.class,
                CdfCommands.Create.class, CdfCommands.Get.class, CdfCommands.List.class, CdfCommands.Delete.class,
                CdfCommands.GetStatus.class, CdfCommands.ListStatuses.class,
                SnapshotCommands.Create.class, SnapshotCommands.Get.class, SnapshotCommands.List.class, SnapshotCommands.Delete.class,
                SnapshotCommands.GetSchedule.class, SnapshotCommands.UpdateSchedule.class,
                OperationCommands.GetOperation.class, OperationCommands.GenerateCredential.class})
public final class PostgresCommands implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
