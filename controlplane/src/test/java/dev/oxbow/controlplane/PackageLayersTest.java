package dev.oxbow.controlplane;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's packages form layers: a class may name classes of its own package and of the packages
 * below it, never above. Read from the source (package line, imports, fully qualified names), so a new edge that
 * points up fails here with the file that made it.
 */
class PackageLayersTest {
    /** Bottom to top. The root package (wiring) is on top; a new package must be placed here. */
    static final List<String> LAYERS = List.of(
            "background", // the one scheduler of periodic tasks
            "resource",   // errors, validation, names, paging, specs, defaults, limits, on-disk layout, cascades
            "metrics",    // the control plane's meters
            "identity",   // users, groups, permissions, credentials, access checks
            "operation",  // long-running operations: executor, handler types
            "compute",    // one server per endpoint: start/stop/resize, wake and suspend, autoscaling, provisioning
            "endpoint",   // endpoint rules, service and operations
            "history",    // snapshots, WAL archive, restore window, background maintenance
            "masking",    // masking rules of a project, masking a new branch's data
            "branch",     // branch service, operations, replacement, lifecycle
            "sql",        // roles, databases, SQL console
            "diff",       // branch diff: schema DDL and row differences by key-range hashes
            "catalog",    // catalogs: names for a branch's database
            "cdf",        // change feeds from Postgres into Delta
            "cdf",        // change feeds from Postgres into Delta
            "sync",       // synced tables
            "dataapi",    // the Data API: management, authenticator set-up, serving
            "project",    // project service and operations, the reaper
            "");          // ControlPlane: wires everything

    private static final String BASE = "dev.oxbow.controlplane";
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** Any mention of a control-plane class: imports (static too) and fully qualified names in code. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.oxbow\\.controlplane\\.(?:([a-z]\\w*)\\.)?[A-Z]");
    private static final Pattern COMMENTS_AND_STRINGS =
            Pattern.compile("\"\"\"[\\s\\S]*?\"\"\"|//[^\\n]*|/\\*[\\s\\S]*?\\*/|\"(?:\\\\.|[^\"\\\\\\n])*\"");

    @Test
    void everyDependencyPointsDown() throws IOException {
        Path root = Path.of("src/main/java/dev/oxbow/controlplane");
        Map<Path, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> sources.put(root.relativize(p), read(p)));
        }
        assertThat(sources).as("control-plane sources under " + root.toAbsolutePath()).hasSizeGreaterThan(40);
        assertThat(violations(sources)).isEmpty();
    }

    @Test
    void anUpwardImportIsReported() {
        Map<Path, String> sources = Map.of(
                Path.of("compute/Computes.java"), """
                        package dev.oxbow.controlplane.compute;
                        import dev.oxbow.controlplane.resource.Layout;
                        import dev.oxbow.controlplane.branch.BranchService;
                        class Computes {}
                        """,
                Path.of("endpoint/EndpointService.java"), """
                        package dev.oxbow.controlplane.endpoint;
                        // dev.oxbow.controlplane.project.ProjectService in a comment is no dependency
                        class EndpointService { Object p = new dev.oxbow.controlplane.project.ProjectService(); }
                        """);
        assertThat(violations(sources)).containsExactlyInAnyOrder(
                "compute/Computes.java: compute -> branch",
                "endpoint/EndpointService.java: endpoint -> project");
    }

    @Test
    void anUndeclaredPackageIsReported() {
        Map<Path, String> sources = Map.of(Path.of("billing/Invoices.java"), "package dev.oxbow.controlplane.billing;\nclass Invoices {}\n");
        assertThat(violations(sources)).containsExactly("billing/Invoices.java: package billing is in no layer of PackageLayersTest");
    }

    @Test
    void theRootMayUseEverythingButNothingUsesTheRoot() {
        Map<Path, String> sources = Map.of(
                Path.of("ControlPlane.java"), "package dev.oxbow.controlplane;\nimport dev.oxbow.controlplane.project.ProjectService;\n",
                Path.of("sync/SyncRunner.java"), "package dev.oxbow.controlplane.sync;\nimport dev.oxbow.controlplane.ControlPlaneConfig;\n");
        assertThat(violations(sources)).containsExactly("sync/SyncRunner.java: sync -> (root)");
    }

    /** One line per file and forbidden package it names, e.g. {@code compute/Computes.java: compute -> branch}. */
    static List<String> violations(Map<Path, String> sources) {
        List<String> found = new ArrayList<>();
        for (Map.Entry<Path, String> source : new TreeMap<>(sources).entrySet()) {
            String code = COMMENTS_AND_STRINGS.matcher(source.getValue()).replaceAll("\"\"");
            Matcher pkg = PACKAGE.matcher(code);
            if (!pkg.find()) {
                found.add(source.getKey() + ": no package line");
                continue;
            }
            String own = layerOf(pkg.group(1));
            if (!LAYERS.contains(own)) {
                found.add(source.getKey() + ": package " + own + " is in no layer of PackageLayersTest");
                continue;
            }
            Set<String> named = new LinkedHashSet<>();
            Matcher ref = REFERENCE.matcher(code);
            while (ref.find()) {
                named.add(ref.group(1) == null ? "" : ref.group(1));
            }
            for (String target : named) {
                if (!target.equals(own) && !(LAYERS.contains(target) && LAYERS.indexOf(target) < LAYERS.indexOf(own))) {
                    found.add(source.getKey() + ": " + show(own) + " -> " + show(target));
                }
            }
        }
        return found;
    }

    private static String layerOf(String packageName) {
        if (packageName.equals(BASE)) {
            return "";
        }
        String rest = packageName.startsWith(BASE + ".") ? packageName.substring(BASE.length() + 1) : packageName;
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    private static String show(String layer) {
        return layer.isEmpty() ? "(root)" : layer;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
