package dev.oxbow.metadata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetadataStoreTest {
    @TempDir
    Path dir;

    private Project project(String id) {
        Instant now = Instant.parse("2026-01-02T03:04:05.123456Z");
        return new Project(id, "uid-" + id, now, now, null, null, "P " + id, 17, 604800,
                new EndpointDefaults(0.5, 4, 300L, false, Map.of("work_mem", "8MB")), "production", null,
                List.of(new Project.Tag("team", "data")), false, "admin@oxbow.local");
    }

    @Test
    void storesAndReopensRecordsWithMigrationsApplied() {
        Path file = dir.resolve("meta.db");
        try (MetadataStore store = MetadataStore.open(file)) {
            store.projects().insert(project("p1"));
            assertThat(store.schemaVersion()).isEqualTo(Migrations.SCRIPTS.size());
        }
        try (MetadataStore store = MetadataStore.open(file)) {
            assertThat(store.projects().get("projects/p1")).contains(project("p1"));
        }
    }

    @Test
    void pagesInCreationOrder() {
        try (MetadataStore store = MetadataStore.open(dir.resolve("m.db"))) {
            for (int i = 0; i < 5; i++) {
                store.projects().insert(project("p" + i));
            }
            Page<Project> first = store.projects().page("", 0, 2);
            assertThat(first.items()).extracting(Project::projectId).containsExactly("p0", "p1");
            Page<Project> second = store.projects().page("", first.nextSeq(), 2);
            assertThat(second.items()).extracting(Project::projectId).containsExactly("p2", "p3");
            Page<Project> last = store.projects().page("", second.nextSeq(), 2);
            assertThat(last.items()).extracting(Project::projectId).containsExactly("p4");
            assertThat(last.nextSeq()).isZero();
        }
    }

    @Test
    void failedTransactionChangesNothing() {
        try (MetadataStore store = MetadataStore.open(dir.resolve("m.db"))) {
            assertThatThrownBy(() -> store.transaction(() -> {
                store.projects().insert(project("a"));
                store.projects().insert(project("a")); // duplicate name
            })).isInstanceOf(MetadataException.class);
            assertThat(store.projects().all()).isEmpty();
        }
    }

    @Test
    void findsResourcesByUid() {
        try (MetadataStore store = MetadataStore.open(dir.resolve("m.db"))) {
            store.projects().insert(project("p1"));
            store.projects().insert(project("p2"));
            assertThat(store.projects().getByUid("uid-p2")).map(Project::projectId).contains("p2");
            assertThat(store.projects().getByUid("uid-none")).isEmpty();
        }
    }

    @Test
    void listUnderEscapesLikeWildcards() {
        try (MetadataStore store = MetadataStore.open(dir.resolve("m.db"))) {
            store.projects().insert(project("a-b"));
            store.projects().insert(project("axb"));
            assertThat(store.projects().listUnder("projects/a_")).isEmpty();
            assertThat(store.projects().listUnder("projects/a-")).hasSize(1);
        }
    }

    /** What the Data API's caches compare: every write moves the count, an audit append does not. */
    @Test
    void changesCountWritesButNotAuditAppends() {
        try (MetadataStore store = MetadataStore.open(dir.resolve("c.db"))) {
            long before = store.changes();
            store.projects().insert(project("c1"));
            long afterWrite = store.changes();
            assertThat(afterWrite).isGreaterThan(before);
            store.audit().append(java.time.Instant.now(), "someone", "DATA_API_GET", "projects/c1", "200", null, null);
            assertThat(store.changes()).isEqualTo(afterWrite);
            store.transaction(() -> {
                store.projects().delete(Project.nameOf("c1"));
            });
            assertThat(store.changes()).isGreaterThan(afterWrite);
        }
    }
}
