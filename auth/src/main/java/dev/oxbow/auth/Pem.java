package dev.oxbow.auth;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * PEM in the exact flavours our consumers accept: Netty's {@code SslContextBuilder.forServer(File, File)} wants an
 * unencrypted PKCS#8 key ("PRIVATE KEY"), libpq and pgjdbc want plain "CERTIFICATE" blocks.
 */
final class Pem {
    private static final String CERTIFICATE = "CERTIFICATE";
    private static final String PRIVATE_KEY = "PRIVATE KEY";
    /** PKCS#8 algorithm OIDs to JCA key factory names (the JDK has no lookup by OID for all of them). */
    private static final Map<String, String> KEY_ALGORITHMS = Map.of(
            "1.2.840.10045.2.1", "EC",
            "1.2.840.113549.1.1.1", "RSA",
            "1.2.840.113549.1.1.10", "RSASSA-PSS",
            "1.3.101.112", "Ed25519",
            "1.3.101.113", "Ed448");

    private Pem() {}

    static String certificates(List<X509Certificate> certificates) {
        StringBuilder out = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                out.append(block(CERTIFICATE, certificate.getEncoded()));
            } catch (CertificateException e) {
                throw new IllegalStateException("cannot encode certificate " + certificate.getSubjectX500Principal(), e);
            }
        }
        return out.toString();
    }

    /** JDK private keys encode as PKCS#8 already. */
    static String privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("private key is not PKCS#8 encodable: format=" + key.getFormat());
        }
        return block(PRIVATE_KEY, key.getEncoded());
    }

    /** All certificates in the file, in order; fails if there is none. */
    static List<X509Certificate> readCertificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new IOException("no certificate in " + file);
            }
            return List.copyOf(certificates);
        } catch (CertificateException e) {
            throw new IOException("not a PEM certificate file: " + file + " (" + e.getMessage() + ")", e);
        }
    }

    /** Reads an unencrypted PKCS#8 key; other encodings are rejected with the command that converts them. */
    static PrivateKey readPrivateKey(Path file) throws IOException {
        PemObject pem;
        try (PemReader reader = new PemReader(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
            pem = reader.readPemObject();
        } catch (IllegalArgumentException | IOException e) {
            throw new IOException("not a PEM private key file: " + file + " (" + e.getMessage() + ")", e);
        }
        if (pem == null) {
            throw new IOException("no PEM block in private key file " + file);
        }
        if (!PRIVATE_KEY.equals(pem.getType())) {
            throw new IOException("private key " + file + " is '" + pem.getType() + "', expected an unencrypted PKCS#8 '"
                    + PRIVATE_KEY + "'; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out server.key");
        }
        try {
            String oid = PrivateKeyInfo.getInstance(pem.getContent()).getPrivateKeyAlgorithm().getAlgorithm().getId();
            String algorithm = KEY_ALGORITHMS.get(oid);
            if (algorithm == null) {
                throw new IOException("unsupported private key algorithm oid=" + oid + " in " + file);
            }
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pem.getContent()));
        } catch (GeneralSecurityException | RuntimeException e) { // BouncyCastle reports bad DER as runtime exceptions
            throw new IOException("unreadable PKCS#8 private key " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static String block(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
