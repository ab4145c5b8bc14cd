package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import dev.oxbow.auth.CertificateAuthority;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** An operator's own certificate replaces Oxbow's CA; clients verify against the operator's CA. */
class OperatorTlsTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    @Test
    void proxyServesTheOperatorsCertificate() throws Exception {
        var home = homes.newHome("optls");
        var operatorPki = Files.createTempDirectory("oxbow-operator-pki-");
        var cert = CertificateAuthority.ensure(operatorPki, List.of("localhost"), List.of("127.0.0.1"));
        try (TestServer t = TestServer.start(TestServer.config(home).withTls(cert.certChain(), cert.privateKey()))) {
            assertThat(Files.exists(home.resolve("tls").resolve("ca.crt"))).as("no local CA made").isFalse();
            var w = t.sdk();
            w.postgres().createProject(new CreateProjectRequest().setProjectId("optls").setProject(new Project())).waitForCompletion();
            String ep = "projects/optls/branches/production/endpoints/primary";
            Properties p = new Properties();
            p.setProperty("user", "admin@oxbow.local");
            p.setProperty("password", w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)).getToken());
            p.setProperty("sslmode", "verify-full");
            p.setProperty("sslrootcert", cert.caCert().toString());
            p.setProperty("options", "endpoint=" + w.postgres().getEndpoint(ep).getUid());
            try (var c = DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/databricks_postgres", p);
                 ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }
}
