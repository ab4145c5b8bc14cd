package dev.oxbow.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    private static final List<String> DNS = List.of("*.localhost", "localhost");
    private static final List<String> IPS = List.of("127.0.0.1", "::1");

    @TempDir
    Path tmp;

    @Test
    void createsCaAndServerCertificateWithPrivateModes() throws Exception {
        Path dir = tmp.resolve("tls");
        ServerCertificate files = CertificateAuthority.ensure(dir, DNS, IPS);

        assertThat(files.caCert()).isEqualTo(dir.resolve("ca.crt"));
        assertThat(files.certChain()).isEqualTo(dir.resolve("server.crt"));
        assertThat(files.privateKey()).isEqualTo(dir.resolve("server.key"));
        assertThat(mode(dir)).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("ca.key"))).isEqualTo("rw-------");
        assertThat(mode(dir.resolve("server.key"))).isEqualTo("rw-------");
        assertThat(mode(dir.resolve("ca.crt"))).isEqualTo("rw-r-----");
        assertThat(mode(dir.resolve("server.crt"))).isEqualTo("rw-r-----");
        assertThat(Files.readString(files.privateKey())).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(dir.resolve("ca.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n");

        X509Certificate ca = standardLoad(files.caCert()).get(0);
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=Oxbow local CA");
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        boolean[] usage = ca.getKeyUsage();
        assertThat(usage[5]).as("keyCertSign").isTrue();
        assertThat(usage[6]).as("cRLSign").isTrue();
        assertThat(usage[0]).as("digitalSignature").isFalse();
        ca.verify(ca.getPublicKey());
        assertThat(Duration.between(ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant()))
                .isBetween(Duration.ofDays(3649), Duration.ofDays(3652));

        List<X509Certificate> chain = standardLoad(files.certChain());
        assertThat(chain).hasSize(2);
        assertThat(chain.get(1)).isEqualTo(ca);
        X509Certificate leaf = chain.get(0);
        leaf.verify(ca.getPublicKey());
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(leaf.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(2, "*.localhost"), List.of(2, "localhost"), List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"));
        assertThat(Duration.between(Instant.now(), leaf.getNotAfter().toInstant()))
                .isBetween(Duration.ofDays(729), Duration.ofDays(731));
        assertThat(Pem.readPrivateKey(files.privateKey()).getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void chainValidatesWithPkixAndTlsHostnameChecks() throws Exception {
        ServerCertificate files = CertificateAuthority.ensure(tmp, DNS, List.of("127.0.0.1"));
        X509Certificate ca = standardLoad(files.caCert()).get(0);
        List<X509Certificate> chain = standardLoad(files.certChain());

        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(chain.subList(0, 1)), params);

        try (TlsProbe probe = new TlsProbe(files)) {
            probe.handshake("ep-abc.localhost");
            probe.handshake("localhost");
            probe.handshake("127.0.0.1");
            assertThatThrownBy(() -> probe.handshake("example.com")).hasMessageContaining("example.com");
            assertThatThrownBy(() -> probe.handshake("a.b.localhost")).isInstanceOf(IOException.class);
        }
    }

    @Test
    void reusesExistingFilesWhenNamesAreCovered() throws Exception {
        CertificateAuthority.ensure(tmp, DNS, IPS);
        List<byte[]> before = contents(tmp);

        CertificateAuthority.ensure(tmp, DNS, IPS);
        CertificateAuthority.ensure(tmp, List.of("LOCALHOST"), List.of("0:0:0:0:0:0:0:1"));

        assertThat(contents(tmp)).usingRecursiveComparison().isEqualTo(before);
    }

    @Test
    void reissuesServerCertificateForNewNamesKeepingTheCa() throws Exception {
        CertificateAuthority.ensure(tmp, DNS, List.of("127.0.0.1"));
        byte[] ca = Files.readAllBytes(tmp.resolve("ca.crt"));
        byte[] caKey = Files.readAllBytes(tmp.resolve("ca.key"));
        byte[] serverKey = Files.readAllBytes(tmp.resolve("server.key"));

        CertificateAuthority.ensure(tmp, List.of("db.example.test"), List.of("10.1.2.3"));

        assertThat(Files.readAllBytes(tmp.resolve("ca.crt"))).isEqualTo(ca);
        assertThat(Files.readAllBytes(tmp.resolve("ca.key"))).isEqualTo(caKey);
        assertThat(Files.readAllBytes(tmp.resolve("server.key"))).isNotEqualTo(serverKey);
        X509Certificate leaf = standardLoad(tmp.resolve("server.crt")).get(0);
        // Earlier names are kept, so callers asking for different names do not re-issue back and forth.
        assertThat(CertificateAuthority.subjectAltNames(leaf).dnsNames())
                .containsExactly("*.localhost", "localhost", "db.example.test");
        assertThat(leaf.getSubjectAlternativeNames()).contains(List.of(7, "10.1.2.3"), List.of(7, "127.0.0.1"));
        leaf.verify(standardLoad(tmp.resolve("ca.crt")).get(0).getPublicKey());
    }

    @Test
    void reissuesServerCertificateThirtyDaysBeforeExpiry() throws Exception {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        CertificateAuthority.ensure(tmp, DNS, IPS, Clock.fixed(start, ZoneOffset.UTC));
        byte[] ca = Files.readAllBytes(tmp.resolve("ca.crt"));
        byte[] server = Files.readAllBytes(tmp.resolve("server.crt"));

        CertificateAuthority.ensure(tmp, DNS, IPS, Clock.fixed(start.plus(Duration.ofDays(690)), ZoneOffset.UTC));
        assertThat(Files.readAllBytes(tmp.resolve("server.crt"))).isEqualTo(server);

        Instant late = start.plus(Duration.ofDays(710));
        CertificateAuthority.ensure(tmp, DNS, IPS, Clock.fixed(late, ZoneOffset.UTC));
        assertThat(Files.readAllBytes(tmp.resolve("ca.crt"))).isEqualTo(ca);
        X509Certificate leaf = standardLoad(tmp.resolve("server.crt")).get(0);
        assertThat(leaf.getNotAfter().toInstant()).isAfter(late.plus(Duration.ofDays(700)));
    }

    @Test
    void reissuesWhenServerFilesAreDamaged() throws Exception {
        CertificateAuthority.ensure(tmp, DNS, IPS);
        Files.writeString(tmp.resolve("server.key"), "garbage");

        ServerCertificate files = CertificateAuthority.ensure(tmp, DNS, IPS);

        X509Certificate leaf = standardLoad(files.certChain()).get(0);
        assertThat(KeyPairs.matches(Pem.readPrivateKey(files.privateKey()), leaf.getPublicKey())).isTrue();
    }

    @Test
    void refusesToReplaceACaWhoseKeyIsMissing() throws Exception {
        CertificateAuthority.ensure(tmp, DNS, IPS);
        Files.delete(tmp.resolve("ca.key"));

        assertThatThrownBy(() -> CertificateAuthority.ensure(tmp, DNS, IPS))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ca.key is missing");
    }

    @Test
    void concurrentCallersAgreeOnOneCa() throws Exception {
        Path dir = tmp.resolve("race");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ServerCertificate>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> CertificateAuthority.ensure(dir, DNS, IPS)));
            }
            for (Future<ServerCertificate> result : results) {
                result.get();
            }
        } finally {
            pool.shutdown();
        }
        X509Certificate ca = standardLoad(dir.resolve("ca.crt")).get(0);
        assertThat(KeyPairs.matches(Pem.readPrivateKey(dir.resolve("ca.key")), ca.getPublicKey())).isTrue();
        standardLoad(dir.resolve("server.crt")).get(0).verify(ca.getPublicKey());
    }

    @Test
    void rejectsInvalidNames() {
        assertThatThrownBy(() -> CertificateAuthority.ensure(tmp, List.of("bad name"), IPS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad name");
        assertThatThrownBy(() -> CertificateAuthority.ensure(tmp, List.of("a.*.localhost"), IPS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CertificateAuthority.ensure(tmp, DNS, List.of("localhost")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IP address");
        assertThatThrownBy(() -> CertificateAuthority.ensure(tmp, List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsValidProvidedFiles() {
        ServerCertificate generated = CertificateAuthority.ensure(tmp, DNS, IPS);

        ServerCertificate provided = CertificateAuthority.provided(generated.certChain(), generated.privateKey(),
                generated.caCert());
        assertThat(provided).isEqualTo(generated);
        assertThat(CertificateAuthority.provided(generated.certChain(), generated.privateKey(), null).caCert()).isNull();
    }

    @Test
    void rejectsBrokenProvidedFiles() throws Exception {
        ServerCertificate mine = CertificateAuthority.ensure(tmp.resolve("a"), DNS, IPS);
        ServerCertificate other = CertificateAuthority.ensure(tmp.resolve("b"), DNS, IPS);

        assertThatThrownBy(() -> CertificateAuthority.provided(mine.certChain(), other.privateKey(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> CertificateAuthority.provided(mine.certChain(), mine.privateKey(), other.caCert()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not lead to a CA");
        assertThatThrownBy(() -> CertificateAuthority.provided(tmp.resolve("nope.crt"), mine.privateKey(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not found");

        Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "hello");
        assertThatThrownBy(() -> CertificateAuthority.provided(garbage, mine.privateKey(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("garbage.pem");

        String pkcs8 = Files.readString(mine.privateKey());
        Path sec1 = Files.writeString(tmp.resolve("sec1.key"),
                pkcs8.replace("BEGIN PRIVATE KEY", "BEGIN EC PRIVATE KEY").replace("END PRIVATE KEY", "END EC PRIVATE KEY"));
        assertThatThrownBy(() -> CertificateAuthority.provided(mine.certChain(), sec1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openssl pkcs8 -topk8");

        Path reversed = tmp.resolve("reversed.crt");
        List<X509Certificate> chain = standardLoad(mine.certChain());
        Files.writeString(reversed, Pem.certificates(List.of(chain.get(0), chain.get(0))));
        assertThatThrownBy(() -> CertificateAuthority.provided(reversed, mine.privateKey(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not issued by");
    }

    /** Loads with the JDK's standard factory only, as any Java client would. */
    private static List<X509Certificate> standardLoad(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
        }
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static List<byte[]> contents(Path dir) throws IOException {
        List<byte[]> all = new ArrayList<>();
        for (String name : List.of("ca.crt", "ca.key", "server.crt", "server.key")) {
            all.add(Files.readAllBytes(dir.resolve(name)));
        }
        return all;
    }
}
