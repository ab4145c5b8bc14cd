package dev.oxbow.auth;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real TLS handshake on loopback: a JSSE server with the generated key and chain, a client trusting only ca.crt
 * with HTTPS-style host name checks (what libpq's verify-full and pgjdbc's verify-full also do).
 */
final class TlsProbe implements AutoCloseable {
    private static final char[] STORE_PASSWORD = "test".toCharArray();

    private final SSLServerSocket server;
    private final SSLContext clientContext;
    private final ExecutorService acceptor = Executors.newSingleThreadExecutor();

    TlsProbe(ServerCertificate files) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        Certificate[] chain;
        try (InputStream in = Files.newInputStream(files.certChain())) {
            chain = factory.generateCertificates(in).toArray(Certificate[]::new);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", Pem.readPrivateKey(files.privateKey()), STORE_PASSWORD, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, STORE_PASSWORD);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress());
        server.setSoTimeout(10_000);

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(files.caCert())) {
            trust.setCertificateEntry("oxbow-ca", factory.generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
    }

    /** Connects to loopback while presenting {@code host} as the name to verify; throws if verification fails. */
    void handshake(String host) throws Exception {
        var accepted = acceptor.submit(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(10_000);
                s.startHandshake();
                s.getOutputStream().write(1);
                s.getOutputStream().flush();
            } catch (IOException expectedWhenClientRejects) {
                // The client aborting the handshake is the outcome some tests want.
            }
            return null;
        });
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             SSLSocket tls = (SSLSocket) clientContext.getSocketFactory().createSocket(plain, host, server.getLocalPort(), true)) {
            tls.setSoTimeout(10_000);
            SSLParameters params = tls.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(params);
            tls.startHandshake();
            if (tls.getInputStream().read() != 1) {
                throw new IOException("no data after handshake");
            }
        } finally {
            accepted.get();
        }
    }

    @Override
    public void close() throws IOException {
        acceptor.shutdownNow();
        server.close();
    }
}
