package dev.oxbow.cli;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.sync.DeltaTableWriter;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A small Delta "orders" table for synced-table tests, and reading what landed in Postgres. */
final class SyncFixtures {
    private SyncFixtures() {}

    static final StructType ORDERS = new StructType().add("id", LongType.LONG).add("name", StringType.STRING).add("amount", DoubleType.DOUBLE);

    static List<Object[]> orders(long from, long to) {
        List<Object[]> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(new Object[] {i, "order-" + i, i * 1.5});
        }
        return out;
    }

    /**
     * A Delta "orders" table with rows [0, rows) at {@code lake/<schema>/orders}: lake.schema.orders of the catalog
     * "lake" of {@link SharedServer#lake()}; each test uses a schema of its own.
     */
    static DeltaTableWriter lakeOrders(Path lake, String schema, long rows) throws Exception {
        DeltaTableWriter orders = DeltaTableWriter.create(lake.resolve(schema).resolve("orders"), ORDERS, true);
        orders.append(orders(0, rows));
        return orders;
    }

    /** The rows as Postgres prints them (double precision without a trailing .0). */
    static List<String> orderRows(long from, long to) {
        return orders(from, to).stream()
                .map(r -> r[0] + "|" + r[1] + "|" + java.math.BigDecimal.valueOf((Double) r[2]).stripTrailingZeros().toPlainString()).toList();
    }

    /** Rows of a query on an endpoint, columns joined by |, read through the compute's private socket as the system role. */
    static List<String> rows(OxbowServer server, String endpoint, String sql) throws Exception {
        ControlPlane cp = server.controlPlane();
        var e = cp.store().endpoints().get(endpoint).orElseThrow();
        try (Connection c = PgConnections.open(cp.config().layout().socketDir(e), "databricks_postgres", Defaults.SYSTEM_ROLE);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                out.add(String.join("|", row));
            }
            return out;
        }
    }
}
