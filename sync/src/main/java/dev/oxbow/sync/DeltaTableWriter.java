package dev.oxbow.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Writes Delta tables without Spark, for tests, benchmarks and demos. Create and append go through Delta
 * Kernel's transactions. Kernel refuses to write updates or row deletes on a change-data-feed table (it
 * cannot write {@code cdc} files), so those commits are written as Spark would: new Parquet files by
 * Kernel's writer and a hand-written commit with {@code remove}, {@code add} and {@code cdc} actions.
 * Only one writer at a time, and it remembers the rows of the files it wrote.
 */
public final class DeltaTableWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final Engine engine = DefaultEngine.create(new Configuration());
    private final Map<String, List<Object[]>> files = new LinkedHashMap<>();
    private final Map<Long, List<String>> filesByVersion = new LinkedHashMap<>();

    private DeltaTableWriter(Path root) {
        this.root = root;
    }

    /** Creates an empty table at {@code root}, with the change data feed on when {@code changeDataFeed}. */
    public static DeltaTableWriter create(Path root, StructType schema, boolean changeDataFeed) {
        DeltaTableWriter w = new DeltaTableWriter(root);
        Map<String, String> props = changeDataFeed ? Map.of("delta.enableChangeDataFeed", "true") : Map.of();
        TableManager.buildCreateTableTransaction(root.toString(), schema, "oxbow-test").withTableProperties(props).build(w.engine)
                .commit(w.engine, CloseableIterable.emptyIterable());
        return w;
    }

    public long version() {
        return snapshot().getVersion();
    }

    private Snapshot snapshot() {
        return TableManager.loadSnapshot(root.toString()).build(engine);
    }

    /** Appends {@code rows} in one commit (a blind append through Kernel); returns the new version. */
    public long append(List<Object[]> rows) throws IOException {
        Snapshot snapshot = snapshot();
        Transaction txn = snapshot.buildUpdateTableTransaction("oxbow-test", Operation.WRITE).build(engine);
        Row state = txn.getTransactionState(engine);
        Map<String, Literal> noPartition = Map.of();
        CloseableIterator<FilteredColumnarBatch> data = single(new FilteredColumnarBatch(new RowBatch(snapshot.getSchema(), rows), Optional.empty()));
        CloseableIterator<FilteredColumnarBatch> physical = Transaction.transformLogicalData(engine, state, data, noPartition);
        DataWriteContext ctx = Transaction.getWriteContext(engine, state, noPartition);
        List<DataFileStatus> written = new ArrayList<>();
        engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(), physical, ctx.getStatisticsColumns()).forEachRemaining(written::add);
        CloseableIterator<Row> actions = Transaction.generateAppendActions(engine, state, toIterator(written), ctx);
        long version = txn.commit(engine, CloseableIterable.inMemoryIterable(actions)).getVersion();
        List<String> names = new ArrayList<>();
        for (DataFileStatus f : written) {
            String name = relative(f.getPath());
            files.put(name, new ArrayList<>(rows));
            names.add(name);
        }
        filesByVersion.put(version, names);
        return version;
    }

    /** Removes the files appended at {@code appendVersion}: a remove-only commit without cdc files, as Kernel writes it. */
    public long removeFilesOf(long appendVersion) throws IOException {
        List<String> lines = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String name : filesByVersion.getOrDefault(appendVersion, List.of())) {
            lines.add(action("remove", JSON.createObjectNode().put("path", name).put("deletionTimestamp", now).put("dataChange", true)
                    .put("size", Files.size(root.resolve(name)))));
            files.remove(name);
        }
        return commit("DELETE", lines);
    }

    /** Deletes the rows matching {@code which}, with cdc files (change type {@code delete}) as Spark writes them. */
    public long delete(Predicate<Object[]> which) throws IOException {
        return rewrite(which, null);
    }

    /** Replaces the rows matching {@code which} by {@code change(row)}, with update pre- and post-images in cdc files. */
    public long update(Predicate<Object[]> which, UnaryOperator<Object[]> change) throws IOException {
        return rewrite(which, change);
    }

    private long rewrite(Predicate<Object[]> which, UnaryOperator<Object[]> change) throws IOException {
        StructType schema = snapshot().getSchema();
        StructType cdcSchema = schema.add(new StructField("_change_type", StringType.STRING, true));
        List<String> lines = new ArrayList<>();
        List<Object[]> cdcRows = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String name : List.copyOf(files.keySet())) {
            List<Object[]> rows = files.get(name);
            if (rows.stream().noneMatch(which)) {
                continue;
            }
            List<Object[]> kept = new ArrayList<>();
            for (Object[] row : rows) {
                if (!which.test(row)) {
                    kept.add(row);
                } else if (change == null) {
                    cdcRows.add(withChangeType(row, "delete"));
                } else {
                    Object[] next = change.apply(row.clone());
                    kept.add(next);
                    cdcRows.add(withChangeType(row, "update_preimage"));
                    cdcRows.add(withChangeType(next, "update_postimage"));
                }
            }
            lines.add(action("remove", JSON.createObjectNode().put("path", name).put("deletionTimestamp", now).put("dataChange", true)
                    .put("size", Files.size(root.resolve(name)))));
            files.remove(name);
            if (!kept.isEmpty()) {
                DataFileStatus f = writeParquet(root.toString(), schema, kept);
                String added = relative(f.getPath());
                files.put(added, kept);
                lines.add(action("add", JSON.createObjectNode().put("path", added).put("size", f.getSize())
                        .put("modificationTime", f.getModificationTime()).put("dataChange", true)));
            }
        }
        if (!cdcRows.isEmpty()) {
            DataFileStatus f = writeParquet(root.resolve("_change_data").toString(), cdcSchema, cdcRows);
            lines.add(action("cdc", JSON.createObjectNode().put("path", "_change_data/" + Path.of(URI.create(f.getPath())).getFileName())
                    .put("size", f.getSize()).put("dataChange", false)));
        }
        return commit(change == null ? "DELETE" : "UPDATE", lines);
    }

    /** Replaces the schema in a metaData commit (adding a column is additive; dropping or retyping is not). */
    public long changeSchema(StructType schema) throws IOException {
        var metadata = snapshot().getMetadata();
        ObjectNode m = JSON.createObjectNode().put("id", metadata.getId());
        m.putObject("format").put("provider", "parquet").putObject("options");
        m.put("schemaString", schema.toJson());
        m.putArray("partitionColumns");
        ObjectNode conf = m.putObject("configuration");
        metadata.getConfiguration().forEach(conf::put);
        m.put("createdTime", metadata.getCreatedTime().orElse(System.currentTimeMillis()));
        return commit("CHANGE COLUMN", List.of(action("metaData", m)));
    }

    private DataFileStatus writeParquet(String dir, StructType schema, List<Object[]> rows) throws IOException {
        Files.createDirectories(Path.of(dir));
        try (CloseableIterator<DataFileStatus> it = engine.getParquetHandler().writeParquetFiles(dir,
                single(new FilteredColumnarBatch(new RowBatch(schema, rows), Optional.empty())), List.of())) {
            return it.next();
        }
    }

    private static Object[] withChangeType(Object[] row, String type) {
        Object[] out = java.util.Arrays.copyOf(row, row.length + 1);
        out[row.length] = type;
        return out;
    }

    private static String action(String kind, ObjectNode body) {
        if (!kind.equals("metaData") && !kind.equals("remove") && !body.has("partitionValues")) {
            body.putObject("partitionValues");
        }
        ObjectNode n = JSON.createObjectNode();
        n.set(kind, body);
        return n.toString();
    }

    private long commit(String operation, List<String> actions) throws IOException {
        long version = version() + 1;
        List<String> lines = new ArrayList<>();
        lines.add("{\"commitInfo\":{\"timestamp\":" + System.currentTimeMillis() + ",\"operation\":\"" + operation + "\",\"engineInfo\":\"oxbow-test\"}}");
        lines.addAll(actions);
        Path file = root.resolve("_delta_log").resolve(String.format("%020d.json", version));
        // put-if-absent, as Delta's log store does: a concurrent writer's commit wins
        Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return version;
    }

    private String relative(String path) {
        Path p = path.contains(":") ? Path.of(URI.create(path)) : Path.of(path);
        return root.toAbsolutePath().relativize(p).toString();
    }

    private static <T> CloseableIterator<T> single(T item) {
        return io.delta.kernel.internal.util.Utils.singletonCloseableIterator(item);
    }

    private static <T> CloseableIterator<T> toIterator(List<T> items) {
        return io.delta.kernel.internal.util.Utils.toCloseableIterator(items.iterator());
    }
}
