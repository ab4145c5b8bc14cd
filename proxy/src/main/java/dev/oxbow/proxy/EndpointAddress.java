package dev.oxbow.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which endpoint a client means: the first label of the TLS SNI host name ({@code <uid>.<domain>}), or
 * {@code endpoint=<uid>} in the startup {@code options} for clients without SNI; {@code endpointUid} is null when
 * neither names one (the password may still: {@link #splitPassword}). Only strictly shaped uids are accepted, so a
 * hostile name or option cannot point anywhere else. {@code at} is the past point of a time-travel session
 * ({@code at=} in the options, or a host label {@code <uid>--at-<unix seconds>}), else null.
 */
record EndpointAddress(String endpointUid, String remainingOptions, PastPoint at) {
    private static final Pattern UID = Pattern.compile("ep-[a-z0-9-]{1,60}");
    private static final String PASSWORD_PREFIX = "endpoint=";

    /** What to tell a client that named no endpoint at all. */
    static String unnamedHint(String domain) {
        return "endpoint ID is not specified: name the endpoint: SNI host <uid>." + domain
                + ", options=endpoint=<uid>, or password endpoint=<uid>;<password>";
    }

    boolean named() {
        return endpointUid != null;
    }

    static Result parse(String sniHost, String domain, String options) {
        String fromSni = null;
        PastPoint atFromSni = null;
        PastPoint atFromOptions = null;
        if (sniHost != null) {
            String host = sniHost.toLowerCase(java.util.Locale.ROOT);
            String suffix = "." + domain.toLowerCase(java.util.Locale.ROOT);
            if (host.endsWith(suffix)) {
                String label = host.substring(0, host.length() - suffix.length());
                int mark = label.lastIndexOf(PastPoint.HOST_MARK);
                if (mark > 0 && UID.matcher(label.substring(0, mark)).matches()) {
                    Optional<PastPoint> point = PastPoint.parseSeconds(label.substring(mark + PastPoint.HOST_MARK.length()));
                    if (point.isEmpty()) {
                        return Result.badPoint("malformed past point in the host name '" + label + "': " + PastPoint.syntaxHint());
                    }
                    fromSni = label.substring(0, mark);
                    atFromSni = point.get();
                } else if (UID.matcher(label).matches()) {
                    fromSni = label;
                }
            }
        }
        String fromOptions = null;
        List<String> rest = new ArrayList<>();
        if (options != null) {
            for (String token : options.trim().split("\\s+")) {
                String t = token.replace("%3D", "=").replace("%3d", "=");
                if (t.startsWith("endpoint=") || t.startsWith("--endpoint=")) {
                    String value = t.substring(t.indexOf('=') + 1);
                    if (!UID.matcher(value).matches()) {
                        return Result.error("invalid endpoint id in options: '" + value + "'");
                    }
                    if (fromOptions != null && !fromOptions.equals(value)) {
                        return Result.error("options name two different endpoints");
                    }
                    fromOptions = value;
                } else if (t.startsWith("at=") || t.startsWith("--at=")) {
                    String value = t.substring(t.indexOf('=') + 1);
                    Optional<PastPoint> point = PastPoint.parseOption(value);
                    if (point.isEmpty()) {
                        return Result.badPoint("malformed past point at='" + value + "': " + PastPoint.syntaxHint());
                    }
                    if (atFromOptions != null && !atFromOptions.equals(point.get())) {
                        return Result.badPoint("options name two different past points");
                    }
                    atFromOptions = point.get();
                } else if (!token.isEmpty()) {
                    rest.add(token);
                }
            }
        }
        if (fromSni != null && fromOptions != null && !fromSni.equals(fromOptions)) {
            return Result.error("the host name names endpoint " + fromSni + " but options name " + fromOptions);
        }
        if (atFromSni != null && atFromOptions != null && !atFromSni.equals(atFromOptions)) {
            return Result.badPoint("the host name asks for " + atFromSni + " but options for " + atFromOptions);
        }
        String uid = fromSni != null ? fromSni : fromOptions;
        PastPoint at = atFromSni != null ? atFromSni : atFromOptions;
        return new Result(Optional.of(new EndpointAddress(uid, String.join(" ", rest), at)), null, null);
    }

    /**
     * Neon's form for clients that can set neither SNI nor options: {@code endpoint=<uid>;<password>} or
     * {@code endpoint=<uid>$<password>}. A password without the prefix is returned whole with no uid.
     */
    static PasswordSplit splitPassword(String password) {
        if (!password.startsWith(PASSWORD_PREFIX)) {
            return new PasswordSplit(null, password, null);
        }
        int end = PASSWORD_PREFIX.length();
        while (end < password.length() && password.charAt(end) != ';' && password.charAt(end) != '$') {
            end++;
        }
        if (end == password.length()) {
            return new PasswordSplit(null, password, "the password names an endpoint but no password: use endpoint=<uid>;<password>");
        }
        String uid = password.substring(PASSWORD_PREFIX.length(), end);
        if (!UID.matcher(uid).matches()) {
            // the uid part is not shown: a mistyped password must not be echoed
            return new PasswordSplit(null, password, "invalid endpoint id in the password (endpoint=<uid>;<password>)");
        }
        return new PasswordSplit(uid, password.substring(end + 1), null);
    }

    /** A password with the endpoint part taken off; {@code error} is set when the prefix is malformed. */
    record PasswordSplit(String endpointUid, String password, String error) {}

    /** A parsed address, or why not with the SQLSTATE to refuse with (08004, or 22023 for a malformed past point). */
    record Result(Optional<EndpointAddress> address, String error, String sqlState) {
        static Result error(String message) {
            return new Result(Optional.empty(), message, "08004");
        }

        static Result badPoint(String message) {
            return new Result(Optional.empty(), message, "22023");
        }
    }
}
