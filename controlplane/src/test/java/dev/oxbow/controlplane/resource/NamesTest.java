package dev.oxbow.controlplane.resource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;

class NamesTest {
    @Test
    void splitsNamesIntoTheirIds() {
        assertThat(Names.parse("projects/p1", "projects")).containsExactly("p1");
        assertThat(Names.parse("projects/p1/branches/main/endpoints/primary", "projects", "branches", "endpoints"))
                .containsExactly("p1", "main", "primary");
    }

    @ParameterizedTest
    @ValueSource(strings = {"projects/p1/branches", "projects/p1/branches/b/extra", "projects//branches/b",
            "projects/p1/branches/", "project/p1/branches/b", "projects/p1/endpoints/b", "/projects/p1/branches/b", ""})
    void refusesOtherShapesNamingTheExpectedOne(String name) {
        invalid(() -> Names.parse(name, "projects", "branches"), "Invalid resource name '" + name + "'",
                "expected projects/{project}/branches/{branch}.");
    }

    @Test
    void nullNameIsRefusedNotAnNpe() {
        invalid(() -> Names.parse(null, "projects"), "expected projects/{project}");
    }

    @Test
    void expectedShapeUsesSingularNames() {
        invalid(() -> Names.parse("x", "projects", "branches", "databases"), "projects/{project}/branches/{branch}/databases/{database}");
        invalid(() -> Names.parse("x", "projects", "branches", "endpoints"), "branches/{branch}/endpoints/{endpoint}");
        invalid(() -> Names.parse("x", "policies"), "policies/{policy}");
    }

    @Test
    void derivesDnsSafeIdsFromPostgresNames() {
        assertThat(Names.deriveId("alice@example.com")).isEqualTo("alice-example-com");
        assertThat(Names.deriveId("Bob.Smith+test@Example.COM")).isEqualTo("bob-smith-test-example-com");
        assertThat(Names.deriveId("1234-app-id")).isEqualTo("r-1234-app-id");
        assertThat(Names.deriveId("ab")).isEqualTo("ab-x");
        assertThat(Names.deriveId("--x--")).isEqualTo("x-x-x");
    }

    static java.util.stream.Stream<String> rawNames() {
        return java.util.stream.Stream.of("a", "", "___", "Jörg.Müller@example.de", "9", "x".repeat(100), "a-".repeat(40) + "b",
                "0e3b1c6a-9f0e-4b8e-8f0c-1d2e3f4a5b6c", "data engineers", "-", "a" + "-".repeat(70) + "b");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("rawNames")
    void derivedIdsAreAlwaysValidLongIds(String raw) {
        String id = Names.deriveId(raw);
        assertThat(Validate.isId(id)).as(id).isTrue();
        assertThat(id.length()).isBetween(4, 63);
        assertThat(Validate.longId("role_id", id)).isEqualTo(id);
    }
}
