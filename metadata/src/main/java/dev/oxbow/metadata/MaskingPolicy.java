package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/**
 * A project's masking rules, applied to every branch created with masking, and the project's secret key for the
 * {@code hash} and {@code fake_email} actions (hex; never returned by the API, so masked values cannot be
 * recomputed from guesses by anyone who can read the branch).
 */
public record MaskingPolicy(String projectId, List<MaskingRule> rules, String keyHex, Instant updateTime) implements Resource {
    public static final String SUFFIX = "/masking-rules";

    public MaskingPolicy {
        rules = rules == null ? List.of() : List.copyOf(rules);
    }

    public static String nameOf(String projectId) {
        return Project.nameOf(projectId) + SUFFIX;
    }

    @Override
    public String name() {
        return nameOf(projectId);
    }

    @Override
    public String parentName() {
        return Project.nameOf(projectId);
    }

    public MaskingPolicy withRules(List<MaskingRule> newRules, Instant now) {
        return new MaskingPolicy(projectId, newRules, keyHex, now);
    }
}
