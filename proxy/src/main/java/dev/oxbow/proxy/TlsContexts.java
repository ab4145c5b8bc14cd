package dev.oxbow.proxy;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.nio.file.Path;

/** The proxy's TLS context: BoringSSL when its native library loads (much cheaper per byte), else the JDK's engine. */
public final class TlsContexts {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    private TlsContexts() {}

    public static SslContext server(Path certificateChain, Path privateKeyPkcs8) throws SSLException {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        log.info("proxy tls provider={}", provider);
        return SslContextBuilder.forServer(certificateChain.toFile(), privateKeyPkcs8.toFile()).sslProvider(provider)
                // offered, not imposed, after an SSLRequest; required by the session for direct TLS (PostgreSQL 17)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "postgresql"))
                .build();
    }
}
