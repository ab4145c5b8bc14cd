package dev.oxbow.auth;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a TLS server's files are. All PEM: {@code certChain} is the leaf followed by its issuers, {@code privateKey}
 * an unencrypted PKCS#8 key (both load with Netty's {@code SslContextBuilder.forServer(File, File)}), {@code caCert}
 * the root clients should trust ({@code sslrootcert=}); null when an operator's certificate chains to a CA Oxbow was
 * not told about (for example a public one, where clients use their system roots).
 */
public record ServerCertificate(Path caCert, Path certChain, Path privateKey) {
    public ServerCertificate {
        Objects.requireNonNull(certChain, "certChain");
        Objects.requireNonNull(privateKey, "privateKey");
    }
}
