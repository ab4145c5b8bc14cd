package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.DataApi;
import dev.oxbow.metadata.MetadataStore;

import java.time.Instant;
import java.util.List;

/**
 * Data APIs across a branch reset or restore, which replaces the branch's database records by the source's: a data API
 * whose database is there again (by name) is kept for the new record — its settings apply to the new data, and a client
 * keeps its URL — and one whose database is gone is dropped. Without this the data API would read as a deleted
 * namesake's (older than its database) and answer 404.
 */
public final class DataApiRecords {
    private DataApiRecords() {}

    /** The data APIs of {@code branchName}'s databases, read before the records are replaced. */
    public static List<DataApi> of(MetadataStore store, String branchName) {
        return store.databases().list(branchName).stream().flatMap(d -> store.dataApis().get(DataApi.nameOf(d.name())).stream()).toList();
    }

    /** After the replacement, inside the same metadata transaction. */
    public static void adopt(MetadataStore store, List<DataApi> before, Instant now) {
        for (DataApi api : before) {
            if (store.databases().get(api.parentName()).isPresent()) {
                store.dataApis().put(api.recreatedAt(now));
            } else {
                store.dataApis().delete(api.name());
            }
        }
    }
}
