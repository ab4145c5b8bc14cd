package dev.oxbow.auth;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the two certificate shapes Oxbow needs. Extensions follow what strict verifiers demand (OpenSSL 3 and
 * Python 3.13's VERIFY_X509_STRICT): critical basicConstraints and keyUsage, SKI on the CA, AKI on the leaf.
 * Uses the JDK's providers only, so nothing is registered globally.
 */
final class CertificateIssuer {
    private CertificateIssuer() {}

    /** The names a server certificate is valid for. */
    record SubjectAltNames(List<String> dnsNames, List<InetAddress> ipAddresses) {
        SubjectAltNames {
            dnsNames = List.copyOf(dnsNames);
            ipAddresses = List.copyOf(ipAddresses);
        }
    }

    static X509Certificate selfSignedCa(KeyPair ca, String commonName, Instant notBefore, Instant notAfter) {
        X500Principal subject = new X500Principal("CN=" + commonName);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(notBefore), Date.from(notAfter), subject, ca.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(ca.getPublic()));
            return sign(builder, ca.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build CA certificate", e);
        }
    }

    static X509Certificate server(PublicKey serverKey, String commonName, SubjectAltNames names,
                                  X509Certificate caCert, PrivateKey caKey, Instant notBefore, Instant notAfter) {
        List<GeneralName> altNames = new ArrayList<>();
        names.dnsNames().forEach(dns -> altNames.add(new GeneralName(GeneralName.dNSName, dns)));
        names.ipAddresses().forEach(ip -> altNames.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress()))));
        // RSA key exchange needs keyEncipherment; ECDSA (our default) only signs.
        int usage = "RSA".equals(serverKey.getAlgorithm())
                ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                : KeyUsage.digitalSignature;
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCert.getSubjectX500Principal(), serial(),
                    Date.from(notBefore), Date.from(notAfter), new X500Principal("CN=" + commonName), serverKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(altNames.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(serverKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(caCert.getPublicKey()));
            return sign(builder, caKey);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build server certificate", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            var signer = new JcaContentSignerBuilder(KeyPairs.signatureAlgorithm(key)).build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot create signer for " + key.getAlgorithm(), e);
        }
    }

    /** Positive 127-bit random serial: unique without bookkeeping, within RFC 5280's 20-octet limit. */
    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).setBit(126);
    }
}
