package dev.oxbow.server;

import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code oxbow server --domain}: endpoint host names and the certificate follow it, also in a home that had another. */
class DomainTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final String EP = "projects/domains/branches/production/endpoints/primary";

    @Test
    void hostNamesAndCertificateFollowTheDomainAcrossRestarts() throws Exception {
        Path home = homes.newHome("domain");
        try (TestServer t = TestServer.start(home)) {
            t.sdk().postgres().createProject(new CreateProjectRequest().setProjectId("domains").setProject(new Project())).waitForCompletion();
            String uid = t.sdk().postgres().getEndpoint(EP).getUid();
            assertThat(t.sdk().postgres().getEndpoint(EP).getStatus().getHosts().getHost()).isEqualTo(uid + ".oxbow.localhost");
            assertThat(dnsNames(t.server().caCertificate().resolveSibling("server.crt")))
                    .contains("*.oxbow.localhost", "oxbow.localhost", "localhost").doesNotContain("*.localhost");
        }
        try (TestServer t = TestServer.start(TestServer.config(home).withHostDomain("PG.Example.test"))) {
            var hosts = t.sdk().postgres().getEndpoint(EP).getStatus().getHosts();
            String uid = t.sdk().postgres().getEndpoint(EP).getUid();
            assertThat(hosts.getHost()).isEqualTo(uid + ".pg.example.test");
            assertThat(hosts.getReadOnlyHost()).isEqualTo(uid + "-ro.pg.example.test");
            assertThat(dnsNames(t.server().caCertificate().resolveSibling("server.crt")))
                    .as("re-issued for the new domain in the existing home").contains("*.pg.example.test", "pg.example.test");
            var info = t.http("GET", "/api/2.0/oxbow/connection-info", null).body();
            assertThat(info).contains("\"host_domain\":\"pg.example.test\"", "\"pg_port\":" + t.server().pgPort());
        }
    }

    static List<String> dnsNames(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(in).iterator().next();
            return leaf.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == 2).map(n -> (String) n.get(1)).toList();
        }
    }
}
