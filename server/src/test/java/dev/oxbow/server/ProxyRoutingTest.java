package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Routing that needs neither SNI nor DNS: pgjdbc to 127.0.0.1 (an IP, so no SNI) with no options, routed by the
 * token's own endpoint or by the password form {@code endpoint=<uid>;<password>}.
 */
class ProxyRoutingTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static TestServer t;
    static WorkspaceClient w;
    static final String EP = "projects/route/branches/production/endpoints/primary";
    static final String USER = "admin@oxbow.local";
    static String uid;

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(TestServer.config(homes.newHome("route")));
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("route").setProject(new Project())).waitForCompletion();
        uid = w.postgres().getEndpoint(EP).getUid();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String token() {
        return w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken();
    }

    /** pgjdbc to the bare loopback IP, nothing naming the endpoint but (maybe) the password. */
    static Connection byIp(String password) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + t.server().pgPort() + "/databricks_postgres", p);
    }

    static String scalar(Connection c, String sql) throws Exception {
        try (c; ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aTokenAloneRoutesToTheEndpointItWasMintedFor() throws Exception {
        assertThat(scalar(byIp(token()), "SELECT current_user")).isEqualTo(USER);
    }

    @Test
    void thePasswordFormRoutesWithEitherSeparator() throws Exception {
        assertThat(scalar(byIp("endpoint=" + uid + ";" + token()), "SELECT current_database()")).isEqualTo("databricks_postgres");
        assertThat(scalar(byIp("endpoint=" + uid + "$" + token()), "SELECT 40 + 2")).isEqualTo("42");
    }

    /** PostgreSQL 17's sslnegotiation=direct, played by a JDK SSLSocket: TLS at once with ALPN "postgresql", no SSLRequest. */
    @Test
    void directTlsWithAlpnLogsInOverARealSocket() throws Exception {
        var ca = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(java.nio.file.Files.newInputStream(t.server().caCertificate()));
        var trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("oxbow", ca);
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        var tlsContext = javax.net.ssl.SSLContext.getInstance("TLS");
        tlsContext.init(null, tmf.getTrustManagers(), null);
        try (var socket = (javax.net.ssl.SSLSocket) tlsContext.getSocketFactory().createSocket("127.0.0.1", t.server().pgPort())) {
            socket.setSoTimeout(30_000);
            var params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[]{"postgresql"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            assertThat(socket.getApplicationProtocol()).isEqualTo("postgresql");
            var out = new java.io.DataOutputStream(socket.getOutputStream());
            var in = new java.io.DataInputStream(socket.getInputStream());
            byte[] startup = ("user\0" + USER + "\0database\0databricks_postgres\0\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeInt(8 + startup.length);
            out.writeInt(196608);
            out.write(startup);
            out.flush();
            assertThat((char) in.readByte()).isEqualTo('R');
            in.readInt();
            assertThat(in.readInt()).as("cleartext password request").isEqualTo(3);
            byte[] password = ("endpoint=" + uid + ";" + token()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeByte('p');
            out.writeInt(4 + password.length + 1);
            out.write(password);
            out.writeByte(0);
            out.flush();
            // the compute's greeting through the proxy: AuthenticationOk ... ReadyForQuery
            java.util.List<Character> types = new java.util.ArrayList<>();
            char type;
            do {
                type = (char) in.readByte();
                int length = in.readInt();
                in.readNBytes(length - 4);
                types.add(type);
            } while (type != 'Z' && type != 'E');
            assertThat(types).first().isEqualTo('R');
            assertThat(types).last().isEqualTo('Z');
        }
    }

    @Test
    void aPasswordThatNamesNoEndpointIsToldHowToNameIt() {
        assertThatThrownBy(() -> byIp("not-a-token-and-no-endpoint"))
                .isInstanceOf(PSQLException.class)
                .hasMessageContaining("options=endpoint=<uid>, or password endpoint=<uid>;<password>")
                .satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("08004"));
        assertThatThrownBy(() -> byIp("endpoint=ep-nobody-here;" + token()))
                .isInstanceOf(PSQLException.class).hasMessageContaining("endpoint ep-nobody-here not found");
    }
}
