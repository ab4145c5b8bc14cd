package dev.oxbow.server;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Data directories of one test class, removed when the class ends (after its {@code @AfterAll} methods have
 * stopped its servers), so nothing is left for a JVM shutdown hook to race Surefire's exit with. Register it as
 * {@code @RegisterExtension static final TestHomes homes = new TestHomes();}.
 */
final class TestHomes implements AfterAllCallback {
    /** Under /tmp: the unprivileged user that runs postgres must reach it when tests run as root. */
    static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));

    private final List<Path> homes = new CopyOnWriteArrayList<>();

    /** A fresh, empty data directory (tests may restart servers on it until the class ends). */
    Path newHome(String name) throws IOException {
        return newHomeUnder(TMP, name);
    }

    Path newHomeUnder(Path root, String name) throws IOException {
        Path home = Files.createTempDirectory(root, "oxbow-" + name + "-");
        homes.add(home);
        return home;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        homes.forEach(TestHomes::delete);
        homes.clear();
    }

    /**
     * Best effort: a leftover under /tmp is harmless, a failure here must not fail the tests. The OS users the
     * homes in {@code dir} created go first (as root each project has one; their projects go with the home).
     */
    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        removeOsUsers(dir);
        deleteKeepingOsUsers(dir);
    }

    /** The files only, as a lost disk loses them: the OS users the home made stay in /etc/passwd. */
    static void deleteKeepingOsUsers(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // see above
        }
    }

    /** Every home at or a little below {@code dir} (tests put some homes in a subdirectory of theirs). */
    private static void removeOsUsers(Path dir) {
        try (var walk = Files.find(dir, 3, (p, attrs) -> p.getFileName().toString().equals(HomeId.FILE) && attrs.isRegularFile())) {
            for (Path idFile : walk.toList()) {
                HomeId.removeUsersOf(idFile.getParent());
            }
        } catch (Exception ignored) {
            // best effort, like the rest (a later server start on the same machine cannot sweep another home's users)
        }
    }
}
