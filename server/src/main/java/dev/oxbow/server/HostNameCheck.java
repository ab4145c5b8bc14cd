package dev.oxbow.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether endpoint host names ({@code <uid>.<domain>}) resolve on this machine, and if not, the one line that says
 * how to fix it: clients that look the name up (psycopg, node-postgres, the Lakebase driver) fail at the first step.
 */
final class HostNameCheck {
    private HostNameCheck() {}

    /** A name shaped like an endpoint's: what a wildcard record or nss-myhostname must answer. */
    static String sampleName(String domain) {
        return "ep-resolve-check." + domain;
    }

    /** Empty when the sample name resolves; otherwise what to do about it. */
    static Optional<String> problem(String domain, Resolver resolver) {
        String sample = sampleName(domain);
        if (resolver.resolves(sample)) {
            return Optional.empty();
        }
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.equals("localhost") || d.endsWith(".localhost")) {
            return Optional.of("endpoint host names such as " + sample + " do not resolve on this machine: run scripts/setup as root"
                    + " (installs libnss-myhostname; 'myhostname' must be in the hosts line of /etc/nsswitch.conf), or give"
                    + " libpq clients hostaddr=127.0.0.1, or connect to localhost with options=endpoint=<endpoint uid>");
        }
        return Optional.of("endpoint host names such as " + sample + " do not resolve: add DNS records *." + d + " and " + d
                + " (A/AAAA) pointing at this server");
    }

    interface Resolver {
        boolean resolves(String host);

        /** The system resolver (glibc's NSS on Linux), as every client on this machine uses it. */
        static Resolver system() {
            return host -> {
                try {
                    InetAddress.getAllByName(host);
                    return true;
                } catch (UnknownHostException e) {
                    return false;
                }
            };
        }
    }
}
