package dev.oxbow.server;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Endpoint;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Test access to a compute through its private socket, the way only Oxbow (and later the proxy) reaches it. */
final class Sql {
    private Sql() {}

    static Connection connect(TestServer t, String endpointName, String database) throws Exception {
        ControlPlane cp = t.server().controlPlane();
        Endpoint e = cp.store().endpoints().get(endpointName).orElseThrow();
        return PgConnections.open(cp.config().layout().socketDir(e), database, Defaults.SYSTEM_ROLE);
    }

    static void exec(TestServer t, String endpointName, String database, String sql) throws Exception {
        try (Connection c = connect(t, endpointName, database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static List<String> column(TestServer t, String endpointName, String database, String sql) throws Exception {
        try (Connection c = connect(t, endpointName, database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
