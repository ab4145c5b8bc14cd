package dev.oxbow.metadata;

import java.time.Instant;

/**
 * A change feed ({@code <database>/cdf-configs/<id>}): every table of Postgres schema {@code postgresSchema} of the
 * database written continuously to the Delta table {@code <catalog>.<schema>.<table>}, i.e. {@code destination/<table>}
 * under the admin-configured catalog's directory. Immutable once created, as in the API.
 */
public record CdfConfig(
        String projectId,
        String branchId,
        String databaseId,
        String cdfConfigId,
        String uid,
        Instant createTime,
        String postgresDatabase,
        String postgresSchema,
        String catalog,
        String schema,
        String destination) implements Resource {

    public static String nameOf(String databaseName, String cdfConfigId) {
        return databaseName + "/cdf-configs/" + cdfConfigId;
    }

    public String databaseName() {
        return Database.nameOf(projectId, branchId, databaseId);
    }

    public String branchName() {
        return Branch.nameOf(projectId, branchId);
    }

    @Override
    public String name() {
        return nameOf(databaseName(), cdfConfigId);
    }

    @Override
    public String parentName() {
        return databaseName();
    }

    /** Names the feed's slot and publication ({@code oxbow_cdf_<this>}): unique per database, Postgres-identifier safe. */
    public String feedId() {
        return uid.replace("-", "").substring(0, 16);
    }
}
