package dev.oxbow.controlplane.resource;

/** What a new resource gets when the request leaves a value unset. */
public final class Defaults {
    public static final String DEFAULT_BRANCH = "production";
    public static final String PRIMARY_ENDPOINT = "primary";
    public static final String DEFAULT_DATABASE = "databricks_postgres";
    public static final String DEFAULT_DATABASE_ID = "databricks-postgres";
    public static final String SUPERUSER_ROLE = "databricks_superuser";
    /** Oxbow's own bootstrap superuser inside every cluster; never exposed through the API. */
    public static final String SYSTEM_ROLE = "oxbow_admin";
    public static final int PG_VERSION = 17;
    public static final long HISTORY_RETENTION_SECONDS = 7L * 86400;
    public static final double MIN_CU = 0.5;
    public static final double MAX_CU = 4;
    public static final long SUSPEND_TIMEOUT_SECONDS = 300;
    public static final long BRANCH_LOGICAL_SIZE_LIMIT_BYTES = 8796093022208L;

    private Defaults() {}

    /** Lakebase's connection limit for a compute whose autoscaling maximum is {@code maxCu}. */
    public static int maxConnections(double maxCu) {
        return (int) Math.min(4000, Math.floor(maxCu * 2e9 / 9_531_392));
    }
}
