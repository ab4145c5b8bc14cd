package dev.oxbow.controlplane.resource;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;

class UpdateMaskTest {
    private static final Set<String> ALLOWED = Set.of("spec.is_protected", "spec.expiration");

    @Test
    void maskIsRequired() {
        invalid(() -> UpdateMask.check(null, ALLOWED), "Field 'update_mask' is required", "update_mask=spec.expiration");
        invalid(() -> UpdateMask.check(Set.of(), ALLOWED), "Field 'update_mask' is required");
    }

    @Test
    void knownPathsPassInTheOrderGiven() {
        var mask = new LinkedHashSet<>(List.of("spec.is_protected", "spec.expiration"));
        assertThat(UpdateMask.check(mask, ALLOWED)).containsExactly("spec.is_protected", "spec.expiration");
    }

    @Test
    void wildcardMeansEveryUpdatablePath() {
        assertThat(UpdateMask.check(Set.of("*"), ALLOWED)).containsExactlyInAnyOrderElementsOf(ALLOWED);
    }

    @Test
    void unknownPathIsRefusedListingTheUpdatableOnes() {
        invalid(() -> UpdateMask.check(Set.of("spec.source_branch"), ALLOWED),
                "update_mask path 'spec.source_branch' cannot be updated", "spec.expiration, spec.is_protected");
    }

    @Test
    void pathsWithoutTheSpecPrefixAreUnknown() {
        invalid(() -> UpdateMask.check(Set.of("is_protected"), ALLOWED), "'is_protected'");
    }
}
