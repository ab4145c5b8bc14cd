package dev.oxbow.proxy;

import dev.oxbow.auth.CertificateAuthority;
import dev.oxbow.auth.ServerCertificate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** One CA and server certificate for all proxy tests: issuing keys is the slowest part of a harness. Read-only once made. */
final class TestCertificate {
    private TestCertificate() {}

    static ServerCertificate get() {
        return Holder.CERT;
    }

    private static final class Holder {
        static final ServerCertificate CERT = create();

        private static ServerCertificate create() {
            try {
                Path dir = Files.createTempDirectory("proxy-test-tls-");
                ServerCertificate cert = CertificateAuthority.ensure(dir, List.of("*." + ProxyHarness.DOMAIN, "localhost"), List.of("127.0.0.1"));
                try (var files = Files.walk(dir)) {
                    files.forEach(p -> p.toFile().deleteOnExit());
                }
                return cert;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
