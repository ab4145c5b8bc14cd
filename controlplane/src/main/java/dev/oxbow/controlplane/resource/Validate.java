package dev.oxbow.controlplane.resource;

import java.util.Set;
import java.util.regex.Pattern;

/** Field rules from the Lakebase reference; each failure is a 400 INVALID_PARAMETER_VALUE naming the field. */
public final class Validate {
    public static final String ID_PATTERN = "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$";
    private static final Pattern ID = Pattern.compile(ID_PATTERN);
    /** Sizes a compute may take: 0.5, 1–16, then 24, 28, 32 for autoscaling; fixed sizes above. */
    private static final Set<Double> FIXED_ABOVE_AUTOSCALE = Set.of(36d, 40d, 44d, 48d, 52d, 56d, 60d, 64d, 72d, 80d, 88d, 96d, 104d, 112d);

    private Validate() {}

    public static String id(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw ApiException.required(field);
        }
        if (!ID.matcher(value).matches()) {
            throw ApiException.invalid("Field " + field + " must match pattern " + ID_PATTERN + ", got '" + value + "'.");
        }
        return value;
    }

    /** Role and database ids: the same DNS-safe shape, 4 to 63 characters. */
    public static String longId(String field, String value) {
        id(field, value);
        if (value.length() < 4) {
            throw ApiException.invalid("Field " + field + " must be 4 to 63 characters long, got '" + value + "'.");
        }
        return value;
    }

    public static boolean isId(String value) {
        return value != null && ID.matcher(value).matches();
    }

    public static void cuRange(String prefix, double min, double max, Limits limits) {
        cuValue(prefix + "autoscaling_limit_min_cu", min, limits);
        cuValue(prefix + "autoscaling_limit_max_cu", max, limits);
        if (max < min) {
            throw ApiException.invalid(prefix + "autoscaling_limit_max_cu (" + fmt(max) + ") must not be below "
                    + prefix + "autoscaling_limit_min_cu (" + fmt(min) + ").");
        }
        if (max > limits.maxAutoscaleCu() && min != max) {
            throw ApiException.invalid("Computes above " + fmt(limits.maxAutoscaleCu()) + " CU have a fixed size: set "
                    + prefix + "autoscaling_limit_min_cu equal to the max (" + fmt(max) + ").");
        }
        if (max - min > limits.maxSpreadCu()) {
            throw ApiException.invalid("Autoscaling range " + fmt(min) + "-" + fmt(max) + " CU is too wide: max - min must be at most "
                    + fmt(limits.maxSpreadCu()) + " CU.");
        }
    }

    /** The largest autoscaling size (0.5, 1–16, 24, 28, 32, within the host's limit) not above {@code bound}. */
    public static double largestAutoscaleSizeAtMost(double bound, Limits limits) {
        double cap = Math.min(bound, limits.maxAutoscaleCu());
        for (double size : new double[]{32, 28, 24}) {
            if (size <= cap) {
                return size;
            }
        }
        return cap >= 1 ? Math.min(16, Math.floor(cap)) : 0.5;
    }

    private static void cuValue(String field, double cu, Limits limits) {
        boolean autoscaleSize = cu == 0.5 || (cu >= 1 && cu <= 16 && cu == Math.rint(cu)) || cu == 24 || cu == 28 || cu == 32;
        boolean valid = (autoscaleSize && cu <= limits.maxAutoscaleCu()) || FIXED_ABOVE_AUTOSCALE.contains(cu)
                || (cu > 32 && cu <= limits.maxAutoscaleCu() && cu == Math.rint(cu));
        if (!valid) {
            throw ApiException.invalid("Field " + field + " has invalid compute size " + fmt(cu)
                    + " CU: use 0.5, a whole number from 1 to 16, 24, 28 or 32 (or a fixed size of 36-112 CU).");
        }
    }

    public static void suspendTimeout(String field, long seconds, Limits limits) {
        if (seconds < limits.minSuspendSeconds() || seconds > limits.maxSuspendSeconds()) {
            throw ApiException.invalid("Field " + field + " must be between " + limits.minSuspendSeconds() + "s and "
                    + limits.maxSuspendSeconds() + "s, got " + seconds + "s (use no_suspension to never suspend).");
        }
    }

    public static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
