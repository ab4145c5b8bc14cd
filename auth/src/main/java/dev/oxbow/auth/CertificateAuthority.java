package dev.oxbow.auth;

import dev.oxbow.auth.CertificateIssuer.SubjectAltNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.util.IPAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Oxbow's local certificate authority: a self-signed root that clients trust once ({@code sslrootcert=ca.crt}) and
 * a server certificate it signs, re-issued whenever the requested names change or it nears expiry. Keeping the root
 * stable is the point: clients configured with {@code sslmode=verify-full} keep working across re-issues.
 *
 * <p>Files in the directory (0700): {@code ca.crt} (0644), {@code ca.key} (0600), {@code server.crt} (0644, leaf then
 * CA), {@code server.key} (0600, PKCS#8) and {@code .lock}.
 */
public final class CertificateAuthority {
    private static final Logger log = LoggerFactory.getLogger(CertificateAuthority.class);

    static final String CA_CERT = "ca.crt";
    static final String CA_KEY = "ca.key";
    static final String SERVER_CERT = "server.crt";
    static final String SERVER_KEY = "server.key";
    static final String LOCK = ".lock";
    static final String CA_NAME = "Oxbow local CA";
    static final String SERVER_NAME = "Oxbow server";
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** Under the 825 days Apple platforms accept for TLS server certificates. */
    static final Duration SERVER_VALIDITY = Duration.ofDays(730);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    /** Tolerates clients whose clocks run a little behind ours. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    /** A DNS name or a leftmost-label wildcard, ASCII only (IDNs must be given in their xn-- form). */
    private static final Pattern DNS_NAME =
            Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private CertificateAuthority() {}

    private record Authority(X509Certificate cert, PrivateKey key, boolean fresh) {}

    /**
     * Creates or reuses the CA and server certificate in {@code dir}; see the class comment for the files.
     *
     * @param dnsNames    DNS subject alternative names, e.g. {@code *.localhost}, {@code localhost}
     * @param ipAddresses IP literal subject alternative names, e.g. {@code 127.0.0.1}, {@code ::1}
     * @throws IllegalArgumentException if a name is not a valid DNS name or IP literal, or none is given
     * @throws IllegalStateException    if {@code ca.crt} exists without a matching {@code ca.key}
     * @throws UncheckedIOException     if the directory cannot be read or written
     */
    public static ServerCertificate ensure(Path dir, List<String> dnsNames, List<String> ipAddresses) {
        return ensure(dir, dnsNames, ipAddresses, Clock.systemUTC());
    }

    static ServerCertificate ensure(Path dir, List<String> dnsNames, List<String> ipAddresses, Clock clock) {
        SubjectAltNames requested = parseNames(dnsNames, ipAddresses);
        try {
            SecureFiles.ensurePrivateDir(dir);
            try (DirectoryLock ignored = DirectoryLock.acquire(dir.resolve(LOCK))) {
                Instant now = clock.instant();
                Authority authority = loadOrCreateAuthority(dir, now);
                ensureServerCertificate(dir, authority, requested, now);
            }
            return new ServerCertificate(dir.resolve(CA_CERT), dir.resolve(SERVER_CERT), dir.resolve(SERVER_KEY));
        } catch (IOException e) {
            throw new UncheckedIOException("certificate directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks operator-provided files: the chain and key parse, the key belongs to the first certificate and, when a
     * CA file is given, the chain leads to it. Expiry only warns, so a lapsed certificate does not block startup.
     *
     * @throws IllegalArgumentException naming the file and the problem
     */
    public static ServerCertificate provided(Path certChainPem, Path keyPem, Path caPemOrNull) {
        List<X509Certificate> chain = read(certChainPem, "certificate chain", Pem::readCertificates);
        PrivateKey key = read(keyPem, "private key", Pem::readPrivateKey);
        X509Certificate leaf = chain.get(0);
        if (!KeyPairs.matches(key, leaf.getPublicKey())) {
            throw new IllegalArgumentException("private key " + keyPem + " does not belong to the first certificate in "
                    + certChainPem + " (subject " + leaf.getSubjectX500Principal() + ")");
        }
        checkChainOrder(chain, certChainPem);
        if (caPemOrNull != null) {
            List<X509Certificate> roots = read(caPemOrNull, "CA certificate", Pem::readCertificates);
            if (!anchoredIn(chain.get(chain.size() - 1), roots)) {
                throw new IllegalArgumentException("certificate chain " + certChainPem + " does not lead to a CA in "
                        + caPemOrNull + " (last issuer " + chain.get(chain.size() - 1).getIssuerX500Principal() + ")");
            }
        }
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (Instant.now().plus(RENEW_BEFORE).isAfter(notAfter)) {
            log.warn("provided TLS certificate expires soon or has expired file={} not_after={}", certChainPem, notAfter);
        }
        warnIfReadableByOthers(keyPem);
        log.info("using provided TLS certificate file={} subject={} not_after={}",
                certChainPem, leaf.getSubjectX500Principal(), notAfter);
        return new ServerCertificate(caPemOrNull, certChainPem, keyPem);
    }

    private static Authority loadOrCreateAuthority(Path dir, Instant now) throws IOException {
        Path certFile = dir.resolve(CA_CERT);
        Path keyFile = dir.resolve(CA_KEY);
        // A key without its certificate is a creation that crashed half way: nobody can trust it yet, so start over.
        if (Files.exists(certFile)) {
            if (!Files.exists(keyFile)) {
                throw new IllegalStateException(certFile + " exists but " + keyFile + " is missing: restore the key,"
                        + " or delete " + certFile + " to create a new CA (clients must then trust the new one)");
            }
            X509Certificate cert = Pem.readCertificates(certFile).get(0);
            PrivateKey key = Pem.readPrivateKey(keyFile);
            if (!KeyPairs.matches(key, cert.getPublicKey()) || cert.getBasicConstraints() < 0) {
                throw new IllegalStateException(keyFile + " does not belong to the CA certificate " + certFile
                        + ": restore the matching pair, or delete both to create a new CA");
            }
            if (now.plus(RENEW_BEFORE).isBefore(cert.getNotAfter().toInstant())) {
                return new Authority(cert, key, false);
            }
            log.warn("local CA expires soon, replacing it; clients must trust the new one dir={} not_after={}",
                    dir, cert.getNotAfter().toInstant());
        }
        KeyPair pair = KeyPairs.newEcP256();
        X509Certificate cert = CertificateIssuer.selfSignedCa(pair, CA_NAME, now.minus(BACKDATE), now.plus(CA_VALIDITY));
        SecureFiles.writeAtomically(keyFile, ascii(Pem.privateKey(pair.getPrivate())), SecureFiles.PRIVATE_MODE);
        SecureFiles.writeAtomically(certFile, ascii(Pem.certificates(List.of(cert))), SecureFiles.PUBLIC_MODE);
        log.info("created local CA dir={} subject={} not_after={}", dir, cert.getSubjectX500Principal(),
                cert.getNotAfter().toInstant());
        return new Authority(cert, pair.getPrivate(), true);
    }

    private static void ensureServerCertificate(Path dir, Authority authority, SubjectAltNames requested, Instant now)
            throws IOException {
        Path certFile = dir.resolve(SERVER_CERT);
        Path keyFile = dir.resolve(SERVER_KEY);
        SubjectAltNames names = requested;
        String reason;
        if (authority.fresh()) {
            reason = "new_ca";
        } else if (!Files.exists(certFile) || !Files.exists(keyFile)) {
            reason = "missing";
        } else {
            try {
                List<X509Certificate> chain = Pem.readCertificates(certFile);
                X509Certificate leaf = chain.get(0);
                if (!issuedBy(leaf, authority.cert()) || chain.size() != 2 || !chain.get(1).equals(authority.cert())) {
                    reason = "other_ca";
                } else {
                    SubjectAltNames existing = subjectAltNames(leaf);
                    // Keep names issued before: two callers asking for different names must not re-issue forever.
                    names = union(existing, requested);
                    if (!KeyPairs.matches(Pem.readPrivateKey(keyFile), leaf.getPublicKey())) {
                        reason = "key_mismatch";
                    } else if (!names.equals(existing)) {
                        reason = "names";
                    } else if (!now.plus(RENEW_BEFORE).isBefore(leaf.getNotAfter().toInstant())) {
                        reason = "expiring";
                    } else {
                        return;
                    }
                }
            } catch (IOException | CertificateParsingException e) {
                log.warn("server certificate unreadable, re-issuing dir={} error={}", dir, e.getMessage());
                reason = "unreadable";
            }
        }
        Instant notAfter = min(now.plus(SERVER_VALIDITY), authority.cert().getNotAfter().toInstant());
        KeyPair pair = KeyPairs.newEcP256();
        X509Certificate leaf = CertificateIssuer.server(pair.getPublic(), SERVER_NAME, names, authority.cert(),
                authority.key(), now.minus(BACKDATE), notAfter);
        // Key first: a reader racing this sees at worst the old certificate with the new key for an instant.
        SecureFiles.writeAtomically(keyFile, ascii(Pem.privateKey(pair.getPrivate())), SecureFiles.PRIVATE_MODE);
        SecureFiles.writeAtomically(certFile, ascii(Pem.certificates(List.of(leaf, authority.cert()))),
                SecureFiles.PUBLIC_MODE);
        for (String dns : names.dnsNames()) {
            if (dns.startsWith("*.") && dns.indexOf('.', 2) < 0) {
                // libpq (psql, psycopg, ...) and Java accept it; OpenSSL's X509_check_host needs two labels after "*".
                log.info("wildcard covers a single-label domain: libpq and Java accept it, OpenSSL-based clients"
                        + " (curl, Python ssl) reject it for the names under it name={}", dns);
            }
        }
        log.info("issued server certificate dir={} reason={} dns={} ip={} not_after={}", dir, reason,
                names.dnsNames(), names.ipAddresses().stream().map(InetAddress::getHostAddress).toList(),
                leaf.getNotAfter().toInstant());
    }

    static SubjectAltNames parseNames(List<String> dnsNames, List<String> ipAddresses) {
        Set<String> dns = new LinkedHashSet<>();
        for (String name : dnsNames) {
            String normalised = name.strip().toLowerCase(Locale.ROOT);
            if (normalised.length() > 253 || !DNS_NAME.matcher(normalised).matches()) {
                throw new IllegalArgumentException("not a DNS name for a certificate: '" + name + "'");
            }
            dns.add(normalised);
        }
        Set<InetAddress> ips = new LinkedHashSet<>();
        for (String ip : ipAddresses) {
            ips.add(ipLiteral(ip.strip()));
        }
        if (dns.isEmpty() && ips.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name or IP address");
        }
        return new SubjectAltNames(List.copyOf(dns), List.copyOf(ips));
    }

    static SubjectAltNames subjectAltNames(X509Certificate cert) throws CertificateParsingException {
        List<String> dns = new ArrayList<>();
        List<InetAddress> ips = new ArrayList<>();
        Collection<List<?>> entries = cert.getSubjectAlternativeNames();
        if (entries != null) {
            for (List<?> entry : entries) {
                int type = (Integer) entry.get(0);
                if (type == 2) {
                    dns.add(((String) entry.get(1)).toLowerCase(Locale.ROOT));
                } else if (type == 7) {
                    ips.add(ipLiteral((String) entry.get(1)));
                }
            }
        }
        return new SubjectAltNames(dns, ips);
    }

    private static SubjectAltNames union(SubjectAltNames a, SubjectAltNames b) {
        Set<String> dns = new LinkedHashSet<>(a.dnsNames());
        dns.addAll(b.dnsNames());
        Set<InetAddress> ips = new LinkedHashSet<>(a.ipAddresses());
        ips.addAll(b.ipAddresses());
        return new SubjectAltNames(List.copyOf(dns), List.copyOf(ips));
    }

    /** Parses only literals: InetAddress.getByName would otherwise resolve a host name through DNS. */
    private static InetAddress ipLiteral(String ip) {
        if (!IPAddress.isValid(ip)) {
            throw new IllegalArgumentException("not an IP address literal: '" + ip + "'");
        }
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address literal: '" + ip + "'", e);
        }
    }

    private static boolean issuedBy(X509Certificate cert, X509Certificate issuer) {
        if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void checkChainOrder(List<X509Certificate> chain, Path file) {
        for (int i = 0; i + 1 < chain.size(); i++) {
            if (!issuedBy(chain.get(i), chain.get(i + 1))) {
                throw new IllegalArgumentException("certificate " + (i + 1) + " in " + file + " (subject "
                        + chain.get(i).getSubjectX500Principal() + ") is not issued by the certificate after it:"
                        + " the file must hold the server certificate first, then each issuer in order");
            }
        }
    }

    private static boolean anchoredIn(X509Certificate last, List<X509Certificate> roots) {
        return roots.stream().anyMatch(root -> root.equals(last) || issuedBy(last, root));
    }

    private static void warnIfReadableByOthers(Path keyFile) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(keyFile);
            if (mode.contains(PosixFilePermission.OTHERS_READ) || mode.contains(PosixFilePermission.GROUP_READ)) {
                log.warn("TLS private key is readable by other users, chmod 600 it file={}", keyFile);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Not POSIX or not stat-able: nothing useful to say; reading it already succeeded.
        }
    }

    private interface Reader<T> {
        T read(Path file) throws IOException;
    }

    private static <T> T read(Path file, String what, Reader<T> reader) {
        try {
            return reader.read(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " file not found: " + file, e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot use " + what + " file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static byte[] ascii(String pem) {
        return pem.getBytes(StandardCharsets.US_ASCII);
    }
}
