package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class MetadataCacheTest {
    @TempDir
    Path dir;
    MetadataStore store;
    final AtomicInteger loads = new AtomicInteger();

    @BeforeEach
    void open() {
        store = MetadataStore.open(dir.resolve("oxbow.db"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private MetadataCache.Loaded<Optional<String>> load(String value) {
        loads.incrementAndGet();
        return new MetadataCache.Loaded<>(Optional.ofNullable(value), Instant.MAX);
    }

    @Test
    void keptUntilAnyMetadataWrite() {
        var cache = new MetadataCache<Optional<String>>(store, Clock.systemUTC(), 10);
        assertThat(cache.get("k", () -> load("a"), Optional::isPresent)).contains("a");
        assertThat(cache.get("k", () -> load("b"), Optional::isPresent)).contains("a");
        assertThat(loads).hasValue(1);

        store.projects().put(new Project("p", "proj-p", null, null, null, null, "p", 17, 604800,
                new dev.oxbow.metadata.EndpointDefaults(0.5, 4, 300L, false, Map.of()), "production", null, null, false, "o@x"));
        assertThat(cache.get("k", () -> load("b"), Optional::isPresent)).contains("b");
        assertThat(loads).hasValue(2);
    }

    @Test
    void aValueTheCallerRefusesIsLoadedEveryTimeAndPushesNothingOut() {
        var cache = new MetadataCache<Optional<String>>(store, Clock.systemUTC(), 2);
        cache.get("used", () -> load("a"), Optional::isPresent);
        for (int i = 0; i < 100; i++) {
            assertThat(cache.get("made-up-" + i, () -> load(null), Optional::isPresent)).isEmpty();
        }
        assertThat(cache.get("made-up-0", () -> load(null), Optional::isPresent)).isEmpty();
        assertThat(loads).hasValue(102);
        assertThat(cache.get("used", () -> load("b"), Optional::isPresent)).contains("a");
        assertThat(loads).hasValue(102);
    }
}
