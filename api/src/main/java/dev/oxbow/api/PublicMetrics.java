package dev.oxbow.api;

import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code /metrics} shows without an admin token: every sample whose labels name no tenant resource
 * ({@link ControlPlaneMetrics#TENANT_TAGS}): server-wide counts and timings, no project, branch, endpoint or
 * synced-table names.
 */
final class PublicMetrics {
    private static final Pattern LABEL = Pattern.compile("[{,]\\s*([A-Za-z_][A-Za-z0-9_]*)=\"");

    private PublicMetrics() {}

    static String filter(String scrape) {
        StringBuilder out = new StringBuilder(scrape.length());
        for (String line : scrape.split("\n")) {
            if (!namesTenant(line)) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private static boolean namesTenant(String line) {
        if (line.startsWith("#")) {
            return false;
        }
        int open = line.indexOf('{');
        if (open < 0) {
            return false;
        }
        Matcher m = LABEL.matcher(line).region(open, line.length());
        while (m.find()) {
            if (ControlPlaneMetrics.TENANT_TAGS.contains(m.group(1))) {
                return true;
            }
        }
        return false;
    }
}
