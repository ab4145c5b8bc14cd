package dev.oxbow.controlplane.resource;

import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;

class PagingTest {
    @Test
    void unsetOrZeroPageSizeIsTheMaximum() {
        assertThat(Paging.of(null, null)).isEqualTo(new Paging(100, 0));
        assertThat(Paging.of(0, "")).isEqualTo(new Paging(100, 0));
    }

    @Test
    void largePagesAreCappedNotRefused() {
        assertThat(Paging.of(500, null).pageSize()).isEqualTo(Paging.MAX_PAGE_SIZE);
        assertThat(Paging.of(7, null).pageSize()).isEqualTo(7);
    }

    @Test
    void negativePageSizeIsRefusedNamingTheField() {
        invalid(() -> Paging.of(-1, null), "Field page_size", "got -1");
    }

    @Test
    void tokenIsTheSequenceToResumeAt() {
        assertThat(Paging.of(10, "42").fromSeq()).isEqualTo(42);
    }

    @Test
    void foreignTokenIsRefusedNamingTheField() {
        invalid(() -> Paging.of(10, "t2"), "Invalid page_token 't2'", "next_page_token");
    }

    @Test
    void lastPageHasNoToken() {
        assertThat(Paging.token(0)).isNull();
        assertThat(Paging.token(17)).isEqualTo("17");
    }

    @Test
    void listWalksEveryChildOnceAndEnds(@TempDir Path dir) {
        try (Fixture f = new Fixture(dir)) {
            for (int i = 0; i < 5; i++) {
                f.project("p" + i);
            }
            var first = Paging.list(f.store.projects(), "", 2, null);
            assertThat(first.items()).extracting(Project::projectId).containsExactly("p0", "p1");
            var second = Paging.list(f.store.projects(), "", 2, first.nextPageToken());
            assertThat(second.items()).extracting(Project::projectId).containsExactly("p2", "p3");
            var last = Paging.list(f.store.projects(), "", 2, second.nextPageToken());
            assertThat(last.items()).extracting(Project::projectId).containsExactly("p4");
            assertThat(last.nextPageToken()).isNull();
        }
    }
}
