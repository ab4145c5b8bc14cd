package dev.oxbow.api;

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
 * The HTTP layer calls control-plane services only: it never reaches the metadata store (its tables, its
 * transactions), so every rule and every write stays in one service. Read from the source, like PackageLayersTest.
 */
class ApiCallsServicesOnlyTest {
    /** The store's accessor on ControlPlane, or the store's own types (its tables and the store itself). */
    private static final Pattern STORE = Pattern.compile(
            "\\.store\\(\\)|\\bMetadataStore\\b|\\b(?:Permission|CatalogPermission|Operation|Resource)Table\\b|\\bIdentityTables\\b|\\bAuditLog\\b");
    private static final Pattern COMMENTS_AND_STRINGS =
            Pattern.compile("\"\"\"[\\s\\S]*?\"\"\"|//[^\\n]*|/\\*[\\s\\S]*?\\*/|\"(?:\\\\.|[^\"\\\\\\n])*\"");

    @Test
    void noApiSourceReachesTheStore() throws IOException {
        Path root = Path.of("src/main/java");
        Map<Path, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> sources.put(root.relativize(p), read(p)));
        }
        assertThat(sources).as("api sources under " + root.toAbsolutePath()).hasSizeGreaterThan(5);
        assertThat(violations(sources)).isEmpty();
    }

    @Test
    void aStoreCallIsReportedButNotOneInACommentOrString() {
        Map<Path, String> sources = Map.of(
                Path.of("A.java"), "class A { void f() { cp.store().permissions().put(null); } }",
                Path.of("B.java"), "import dev.oxbow.metadata.MetadataStore;\nclass B {}",
                Path.of("C.java"), "class C { // cp.store() was here\n String s = \".store()\"; }");
        assertThat(violations(sources)).containsExactly("A.java: .store()", "B.java: MetadataStore");
    }

    static List<String> violations(Map<Path, String> sources) {
        return new TreeMap<>(sources).entrySet().stream()
                .flatMap(e -> STORE.matcher(COMMENTS_AND_STRINGS.matcher(e.getValue()).replaceAll(" ")).results()
                        .map(m -> e.getKey() + ": " + m.group()))
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
