package dev.oxbow.controlplane;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * States are enums: a comparison with a state's string ({@code "ACTIVE".equals(e.state())}) still compiles but is
 * always false. This finds such leftovers (for instance in code written before the enums and merged after).
 */
class StateLiteralsTest {
    private static final Pattern STRING_STATE = Pattern.compile(
            "\"(?:INIT|READY|RESETTING|DELETED|ACTIVE|IDLE|DEGRADED|SYNCED_TABLE_[A-Z_]+|SNAPSHOT|TRIGGERED|CONTINUOUS)\"\\s*\\.equals\\([^)]*(?:state|State|Policy|kind)\\(\\)"
                    + "|(?:state|State|Policy|kind)\\(\\)\\s*\\.equals\\(\\s*\"[A-Z_]+\"\\)");
    /** Comments only: the literal of a real comparison is itself a string. */
    private static final Pattern COMMENTS = Pattern.compile("/\\*[\\s\\S]*?\\*/|(?m)^\\s*//[^\\n]*");

    @Test
    void noStateIsComparedWithAString() throws IOException {
        Map<Path, String> sources = new TreeMap<>();
        for (Path root : List.of(Path.of("src/main/java"), Path.of("src/test/java"))) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".java")).forEach(p -> sources.put(p, read(p)));
            }
        }
        assertThat(sources).hasSizeGreaterThan(40);
        assertThat(violations(sources)).isEmpty();
    }

    @Test
    void aStringComparisonIsReported() {
        assertThat(violations(Map.of(Path.of("A.java"), "if (\"ACTIVE\".equals(e.state())) {}\nif (t.schedulingPolicy().equals(\"CONTINUOUS\")) {}")))
                .containsExactly("A.java: \"ACTIVE\".equals(e.state()", "A.java: Policy().equals(\"CONTINUOUS\")");
    }

    static List<String> violations(Map<Path, String> sources) {
        return new TreeMap<>(sources).entrySet().stream()
                .flatMap(e -> STRING_STATE.matcher(COMMENTS.matcher(e.getValue()).replaceAll(" ")).results().map(m -> e.getKey() + ": " + m.group()))
                .toList();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
