package dev.oxbow.storage;

import java.nio.file.Path;
import java.util.Set;

/** Which parts of a data directory a copy takes, by path relative to the data directory. */
interface CopyFilter {
    enum Decision {
        COPY,
        /** Not copied at all. */
        SKIP,
        /** The directory alone, empty. */
        EMPTY_DIRECTORY,
        /** The directory and its immediate subdirectories, all empty (pg_wal: archive_status, summaries). */
        SKELETON
    }

    Decision decide(Path relative, boolean directory);

    /** Runtime files of the server that wrote the directory; never part of a copy. */
    Set<String> SERVER_RUNTIME_FILES = Set.of("postmaster.pid", "postmaster.opts");

    /** A cleanly stopped cluster: everything but the runtime files. */
    CopyFilter STOPPED = (relative, directory) ->
            relative.getNameCount() == 1 && SERVER_RUNTIME_FILES.contains(relative.toString()) ? Decision.SKIP : Decision.COPY;

    /**
     * A running cluster under pg_backup_start: what the PostgreSQL documentation (and pg_basebackup)
     * leaves out of a base backup. pg_wal is taken separately after pg_backup_stop.
     */
    CopyFilter ONLINE = new CopyFilter() {
        private final Set<String> skippedTopLevelFiles = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
                "backup_label.old", "tablespace_map", "tablespace_map.old", "current_logfiles", "recovery.signal", "standby.signal");
        /** Replication slots stay behind: a slot directory without its state file would stop recovery. */
        private final Set<String> emptiedTopLevelDirs = Set.of("pg_replslot", "pg_stat_tmp", "pg_dynshmem",
                "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans");

        @Override
        public Decision decide(Path relative, boolean directory) {
            String name = relative.getFileName().toString();
            if (name.startsWith("pgsql_tmp") || name.equals("pg_internal.init")) {
                return Decision.SKIP; // temporary files; relcache init files are rebuilt at startup
            }
            if (relative.getNameCount() == 1) {
                if (directory && name.equals("pg_wal")) {
                    return Decision.SKELETON;
                }
                if (directory && emptiedTopLevelDirs.contains(name)) {
                    return Decision.EMPTY_DIRECTORY;
                }
                if (!directory && skippedTopLevelFiles.contains(name)) {
                    return Decision.SKIP;
                }
            }
            return Decision.COPY;
        }
    };
}
