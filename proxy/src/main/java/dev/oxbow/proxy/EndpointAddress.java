package dev.oxbow.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which endpoint a client means: the first label of the TLS SNI host name ({@code <uid>.<domain>}), or
 * {@code endpoint=<uid>} in the startup {@code options} for clients without SNI. Only strictly shaped uids
 * are accepted, so a hostile name or option cannot point anywhere else.
 */
record EndpointAddress(String endpointUid, String remainingOptions) {
    private static final Pattern UID = Pattern.compile("ep-[a-z0-9-]{1,60}");

    static Result parse(String sniHost, String domain, String options) {
        String fromSni = null;
        if (sniHost != null) {
            String host = sniHost.toLowerCase(java.util.Locale.ROOT);
            String suffix = "." + domain.toLowerCase(java.util.Locale.ROOT);
            if (host.endsWith(suffix)) {
                String label = host.substring(0, host.length() - suffix.length());
                if (UID.matcher(label).matches()) {
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
                } else if (!token.isEmpty()) {
                    rest.add(token);
                }
            }
        }
        if (fromSni != null && fromOptions != null && !fromSni.equals(fromOptions)) {
            return Result.error("the host name names endpoint " + fromSni + " but options name " + fromOptions);
        }
        String uid = fromSni != null ? fromSni : fromOptions;
        if (uid == null) {
            return Result.error("endpoint ID is not specified: connect to <endpoint uid>." + domain
                    + " (with SNI) or pass options=endpoint=<endpoint uid>");
        }
        return new Result(Optional.of(new EndpointAddress(uid, String.join(" ", rest))), null);
    }

    record Result(Optional<EndpointAddress> address, String error) {
        static Result error(String message) {
            return new Result(Optional.empty(), message);
        }
    }
}
