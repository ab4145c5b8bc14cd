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
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.internal.deletionvectors.Base85Codec;
import io.delta.kernel.internal.util.ColumnMapping;
import io.delta.kernel.transaction.DataLayoutSpec;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import org.apache.hadoop.conf.Configuration;
import org.roaringbitmap.RoaringBitmap;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;

/**
 * Writes Delta tables without Spark, for tests, benchmarks and demos, in the shapes Spark writes. Create and append
 * go through Delta Kernel's transactions. Kernel refuses updates and row deletes on a change-data-feed table (it
 * cannot write {@code cdc} files), so those commits are written as Spark does: Parquet files by Kernel's writer and
 * a hand-written commit with {@code remove}, {@code add} and {@code cdc} actions. As in Spark, data and change files
 * hold no partition columns (their values are in each action's {@code partitionValues}), files are written with the
 * physical column names under column mapping, and a DELETE on a table with deletion vectors re-adds the same file
 * with a new deletion vector instead of rewriting it. Only one writer at a time; it remembers the rows of its files.
 */
public final class DeltaTableWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** RoaringBitmapArray's portable serialization starts with this (PROTOCOL.md "Deletion Vector Format"). */
    private static final int DV_MAGIC = 1681511377;

    private final Path root;
    private final Engine engine = DefaultEngine.create(new Configuration());
    private final List<String> partitionColumns;
    private final Map<String, DataFile> files = new LinkedHashMap<>();
    private final Map<Long, List<String>> filesByVersion = new LinkedHashMap<>();

    /** A data file and its rows (full logical rows, partition columns included); {@code deleted} rows are masked by its deletion vector. */
    private static final class DataFile {
        final Map<String, String> partitionValues;
        final List<Object[]> rows;
        final TreeSet<Integer> deleted = new TreeSet<>();
        ObjectNode deletionVector;
        long size;

        DataFile(Map<String, String> partitionValues, List<Object[]> rows, long size) {
            this.partitionValues = partitionValues;
            this.rows = rows;
            this.size = size;
        }

        List<Object[]> live() {
            List<Object[]> out = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) if (!deleted.contains(i)) out.add(rows.get(i));
            return out;
        }
    }

    private DeltaTableWriter(Path root, List<String> partitionColumns) {
        this.root = root;
        this.partitionColumns = List.copyOf(partitionColumns);
    }

    /** Creates an empty table at {@code root}, with the change data feed on when {@code changeDataFeed}. */
    public static DeltaTableWriter create(Path root, StructType schema, boolean changeDataFeed) {
        return create(root, schema, List.of(), changeDataFeed ? Map.of("delta.enableChangeDataFeed", "true") : Map.of());
    }

    /**
     * Creates an empty table partitioned by {@code partitionColumns} with {@code properties}, e.g.
     * {@code delta.enableChangeDataFeed}, {@code delta.enableDeletionVectors}, {@code delta.columnMapping.mode}.
     */
    public static DeltaTableWriter create(Path root, StructType schema, List<String> partitionColumns, Map<String, String> properties) {
        DeltaTableWriter w = new DeltaTableWriter(root, partitionColumns);
        var builder = TableManager.buildCreateTableTransaction(root.toString(), schema, "oxbow-test").withTableProperties(properties);
        if (!partitionColumns.isEmpty()) {
            builder = builder.withDataLayoutSpec(DataLayoutSpec.partitioned(partitionColumns.stream().map(Column::new).toList()));
        }
        builder.build(w.engine).commit(w.engine, CloseableIterable.emptyIterable());
        return w;
    }

    public long version() {
        return snapshot().getVersion();
    }

    private Snapshot snapshot() {
        return TableManager.loadSnapshot(root.toString()).build(engine);
    }

    /**
     * Appends {@code rows} in one commit; returns the new version. A blind append through Kernel, except on partitioned
     * or column-mapped tables, which Kernel's writer does not handle yet: those get one file per partition and a
     * hand-written commit of {@code add} actions, as Spark writes them.
     */
    public long append(List<Object[]> rows) throws IOException {
        Snapshot snapshot = snapshot();
        StructType schema = snapshot.getSchema();
        if (!partitionColumns.isEmpty() || ColumnMapping.getColumnMappingMode(snapshot.getMetadata().getConfiguration()) != ColumnMapping.ColumnMappingMode.NONE) {
            List<String> lines = new ArrayList<>();
            List<String> names = new ArrayList<>();
            addFiles(schema, rows, lines, names);
            long version = commit("WRITE", lines);
            filesByVersion.put(version, names);
            return version;
        }
        Transaction txn = snapshot.buildUpdateTableTransaction("oxbow-test", Operation.WRITE).build(engine);
        Row state = txn.getTransactionState(engine);
        List<Row> actions = new ArrayList<>();
        Map<List<Object>, List<Object[]>> byPartition = byPartition(schema, rows);
        Map<String, DataFile> written = new LinkedHashMap<>();
        for (Map.Entry<List<Object>, List<Object[]>> part : byPartition.entrySet()) {
            Map<String, Literal> values = new LinkedHashMap<>();
            for (int i = 0; i < partitionColumns.size(); i++) {
                String col = partitionColumns.get(i);
                values.put(col, literal(schema.get(col).getDataType(), part.getKey().get(i)));
            }
            CloseableIterator<FilteredColumnarBatch> data = single(new FilteredColumnarBatch(new RowBatch(schema, part.getValue()), Optional.empty()));
            CloseableIterator<FilteredColumnarBatch> physical = Transaction.transformLogicalData(engine, state, data, values);
            DataWriteContext ctx = Transaction.getWriteContext(engine, state, values);
            List<DataFileStatus> statuses = new ArrayList<>();
            engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(), physical, ctx.getStatisticsColumns()).forEachRemaining(statuses::add);
            Transaction.generateAppendActions(engine, state, toIterator(statuses), ctx).forEachRemaining(actions::add);
            for (DataFileStatus f : statuses) {
                written.put(relative(f.getPath()), new DataFile(physicalPartitionValues(schema, part.getKey()), new ArrayList<>(part.getValue()), f.getSize()));
            }
        }
        long version = txn.commit(engine, CloseableIterable.inMemoryIterable(toIterator(actions))).getVersion();
        files.putAll(written);
        filesByVersion.put(version, new ArrayList<>(written.keySet()));
        return version;
    }

    /** Removes the files appended at {@code appendVersion}: a remove-only commit without cdc files, as Kernel writes it. */
    public long removeFilesOf(long appendVersion) throws IOException {
        List<String> lines = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String name : filesByVersion.getOrDefault(appendVersion, List.of())) {
            DataFile f = files.remove(name);
            if (f != null) lines.add(action("remove", remove(name, f, now))); // else a later commit rewrote it already
        }
        return commit("DELETE", lines);
    }

    /** Deletes the rows matching {@code which}, with cdc files (change type {@code delete}) as Spark writes them. */
    public long delete(Predicate<Object[]> which) throws IOException {
        return merge(which, r -> false, null, List.of());
    }

    /** Replaces the rows matching {@code which} by {@code change(row)}, with update pre- and post-images in cdc files. */
    public long update(Predicate<Object[]> which, UnaryOperator<Object[]> change) throws IOException {
        return merge(r -> false, which, change, List.of());
    }

    /**
     * One MERGE commit as Spark writes it with the change data feed: the rows matching {@code delete} go, those matching
     * {@code update} become {@code change(row)} (which may change the key or a partition column), {@code inserts} are new
     * rows; touched files are rewritten, and the change files (per partition, without partition columns) hold
     * {@code delete}, {@code update_preimage}/{@code update_postimage} and {@code insert} rows.
     */
    public long merge(Predicate<Object[]> delete, Predicate<Object[]> update, UnaryOperator<Object[]> change, List<Object[]> inserts) throws IOException {
        StructType schema = snapshot().getSchema();
        List<String> lines = new ArrayList<>();
        List<Object[]> cdcRows = new ArrayList<>();
        List<Object[]> rewritten = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String name : List.copyOf(files.keySet())) {
            DataFile f = files.get(name);
            List<Object[]> live = f.live();
            if (live.stream().noneMatch(r -> delete.test(r) || update.test(r))) continue;
            for (Object[] row : live) {
                if (delete.test(row)) {
                    cdcRows.add(withChangeType(row, "delete"));
                } else if (update.test(row)) {
                    Object[] next = change.apply(row.clone());
                    rewritten.add(next);
                    cdcRows.add(withChangeType(row, "update_preimage"));
                    cdcRows.add(withChangeType(next, "update_postimage"));
                } else {
                    rewritten.add(row);
                }
            }
            lines.add(action("remove", remove(name, f, now)));
            files.remove(name);
        }
        rewritten.addAll(inserts);
        for (Object[] row : inserts) cdcRows.add(withChangeType(row, "insert"));
        addFiles(schema, rewritten, lines, new ArrayList<>());
        // change files in reverse partition order: a row moved to another partition has its post-image in an earlier
        // file than its pre-image, which readers must not take as "the last change wins" (Spark's order is arbitrary too)
        List<Map.Entry<List<Object>, List<Object[]>>> cdcParts = new ArrayList<>(byPartition(schema, cdcRows).entrySet());
        java.util.Collections.reverse(cdcParts);
        for (Map.Entry<List<Object>, List<Object[]>> part : cdcParts) {
            DataFileStatus f = writeParquet(root.resolve("_change_data").resolve(partitionDir(part.getKey())), dataSchema(schema, true),
                    project(schema, part.getValue(), true), "cdc-");
            ObjectNode cdc = JSON.createObjectNode().put("path", relative(f.getPath()));
            cdc.set("partitionValues", JSON.valueToTree(physicalPartitionValues(schema, part.getKey())));
            lines.add(action("cdc", cdc.put("size", f.getSize()).put("dataChange", false)));
        }
        String operation = inserts.isEmpty() && change == null ? "DELETE" : inserts.isEmpty() ? "UPDATE" : "MERGE";
        return commit(operation, lines);
    }

    /** Writes {@code rows} into one new data file per partition and adds their {@code add} actions to {@code lines}. */
    private void addFiles(StructType schema, List<Object[]> rows, List<String> lines, List<String> names) throws IOException {
        for (Map.Entry<List<Object>, List<Object[]>> part : byPartition(schema, rows).entrySet()) {
            Map<String, String> values = physicalPartitionValues(schema, part.getKey());
            DataFileStatus f = writeParquet(root.resolve(partitionDir(part.getKey())), dataSchema(schema, false), project(schema, part.getValue(), false), "part-");
            String added = relative(f.getPath());
            files.put(added, new DataFile(values, new ArrayList<>(part.getValue()), f.getSize()));
            names.add(added);
            ObjectNode add = JSON.createObjectNode().put("path", added);
            add.set("partitionValues", JSON.valueToTree(values));
            lines.add(action("add", add.put("size", f.getSize()).put("modificationTime", f.getModificationTime()).put("dataChange", true)));
        }
    }

    /**
     * A DELETE on a table with deletion vectors, as Spark writes it: each file with matching rows is removed and added
     * again under the same path with a deletion vector (a {@code deletion_vector_<uuid>.bin} file) that masks them too.
     * No change files: readers of the change feed diff the two deletion vectors.
     */
    public long deleteWithDeletionVectors(Predicate<Object[]> which) throws IOException {
        List<String> lines = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Map.Entry<String, DataFile> e : files.entrySet()) {
            DataFile f = e.getValue();
            TreeSet<Integer> deleted = new TreeSet<>(f.deleted);
            for (int i = 0; i < f.rows.size(); i++) if (!deleted.contains(i) && which.test(f.rows.get(i))) deleted.add(i);
            if (deleted.size() == f.deleted.size()) continue;
            lines.add(action("remove", remove(e.getKey(), f, now)));
            f.deleted.clear();
            f.deleted.addAll(deleted);
            f.deletionVector = writeDeletionVector(deleted);
            ObjectNode add = JSON.createObjectNode().put("path", e.getKey());
            add.set("partitionValues", JSON.valueToTree(f.partitionValues));
            add.put("size", f.size).put("modificationTime", now).put("dataChange", true);
            add.set("deletionVector", f.deletionVector);
            lines.add(action("add", add));
        }
        return commit("DELETE", lines);
    }

    /** Writes {@code rows} (row indexes) as an on-disk deletion vector; returns its descriptor. */
    private ObjectNode writeDeletionVector(TreeSet<Integer> rows) throws IOException {
        RoaringBitmap bitmap = new RoaringBitmap();
        rows.forEach(bitmap::add);
        bitmap.runOptimize();
        ByteArrayOutputStream bitmapBytes = new ByteArrayOutputStream();
        bitmap.serialize(new DataOutputStream(bitmapBytes));
        // RoaringBitmapArray, portable format: magic, the number of 32-bit bitmaps (one here), then each key and bitmap, little-endian
        ByteBuffer data = ByteBuffer.allocate(4 + 8 + 4 + bitmapBytes.size()).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(DV_MAGIC).putLong(1).putInt(0).put(bitmapBytes.toByteArray());
        byte[] dv = data.array();
        CRC32 crc = new CRC32();
        crc.update(dv);
        // the file: format version 1, then the bitmap's size, the bitmap and its checksum, big-endian
        ByteBuffer file = ByteBuffer.allocate(1 + 4 + dv.length + 4);
        file.put((byte) 1).putInt(dv.length).put(dv).putInt((int) crc.getValue());
        UUID id = UUID.randomUUID();
        Files.write(root.resolve("deletion_vector_" + id + ".bin"), file.array(), StandardOpenOption.CREATE_NEW);
        return JSON.createObjectNode().put("storageType", "u").put("pathOrInlineDv", Base85Codec.encodeUUID(id)).put("offset", 1)
                .put("sizeInBytes", dv.length).put("cardinality", (long) rows.size());
    }

    /** Replaces the schema in a metaData commit (adding a column is additive; dropping or retyping is not). */
    public long changeSchema(StructType schema) throws IOException {
        var metadata = snapshot().getMetadata();
        ObjectNode m = JSON.createObjectNode().put("id", metadata.getId());
        m.putObject("format").put("provider", "parquet").putObject("options");
        m.put("schemaString", schema.toJson());
        var parts = m.putArray("partitionColumns");
        partitionColumns.forEach(parts::add);
        ObjectNode conf = m.putObject("configuration");
        metadata.getConfiguration().forEach(conf::put);
        m.put("createdTime", metadata.getCreatedTime().orElse(System.currentTimeMillis()));
        return commit("CHANGE COLUMN", List.of(action("metaData", m)));
    }

    private ObjectNode remove(String name, DataFile f, long now) {
        ObjectNode remove = JSON.createObjectNode().put("path", name).put("deletionTimestamp", now).put("dataChange", true)
                .put("extendedFileMetadata", true);
        remove.set("partitionValues", JSON.valueToTree(f.partitionValues));
        remove.put("size", f.size);
        if (f.deletionVector != null) remove.set("deletionVector", f.deletionVector);
        return remove;
    }

    // ---- partitions and physical names ----

    private Map<List<Object>, List<Object[]>> byPartition(StructType schema, List<Object[]> rows) {
        Map<List<Object>, List<Object[]>> out = new LinkedHashMap<>();
        for (Object[] row : rows) {
            List<Object> key = new ArrayList<>();
            for (String col : partitionColumns) key.add(row[schema.indexOf(col)]);
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
        }
        return out;
    }

    /** Partition values as the log stores them: keyed by physical name, serialized as strings, null for NULL. */
    private Map<String, String> physicalPartitionValues(StructType schema, List<Object> values) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < partitionColumns.size(); i++) {
            out.put(ColumnMapping.getPhysicalName(schema.get(partitionColumns.get(i))), serialize(values.get(i)));
        }
        return out;
    }

    private String partitionDir(List<Object> values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < partitionColumns.size(); i++) {
            String v = serialize(values.get(i));
            b.append(i == 0 ? "" : "/").append(partitionColumns.get(i)).append('=').append(v == null ? "__HIVE_DEFAULT_PARTITION__" : v);
        }
        return b.toString();
    }

    private static String serialize(Object v) {
        if (v == null) return null;
        if (v instanceof BigDecimal d) return d.toPlainString();
        if (v instanceof Instant i) return i.toString().replace('T', ' ').replace("Z", "");
        return v.toString();
    }

    private static Literal literal(DataType type, Object v) {
        if (v == null) return Literal.ofNull(type);
        if (v instanceof Long l) return Literal.ofLong(l);
        if (v instanceof Integer i) return Literal.ofInt(i);
        if (v instanceof Short s) return Literal.ofShort(s);
        if (v instanceof Byte b) return Literal.ofByte(b);
        if (v instanceof Boolean b) return Literal.ofBoolean(b);
        if (v instanceof String s) return Literal.ofString(s);
        if (v instanceof LocalDate d) return Literal.ofDate((int) d.toEpochDay());
        if (v instanceof Instant i) return Literal.ofTimestamp(ChronoUnit.MICROS.between(Instant.EPOCH, i));
        if (v instanceof BigDecimal d && type instanceof io.delta.kernel.types.DecimalType t) return Literal.ofDecimal(d, t.getPrecision(), t.getScale());
        throw new IllegalArgumentException("no partition literal for " + v.getClass().getSimpleName());
    }

    /** The columns a data (or change) file holds: no partition columns, physical names under column mapping. */
    private StructType dataSchema(StructType schema, boolean changeFile) {
        StructType data = new StructType(schema.fields().stream().filter(f -> !partitionColumns.contains(f.getName())).toList());
        Map<String, String> conf = snapshot().getMetadata().getConfiguration();
        StructType physical = ColumnMapping.convertToPhysicalSchema(data, schema, ColumnMapping.getColumnMappingMode(conf));
        return changeFile ? physical.add(new StructField(DeltaChanges.CHANGE_TYPE, StringType.STRING, true)) : physical;
    }

    private List<Object[]> project(StructType schema, List<Object[]> rows, boolean changeFile) {
        int[] keep = java.util.stream.IntStream.range(0, schema.length()).filter(i -> !partitionColumns.contains(schema.at(i).getName())).toArray();
        List<Object[]> out = new ArrayList<>();
        for (Object[] row : rows) {
            Object[] r = new Object[keep.length + (changeFile ? 1 : 0)];
            for (int i = 0; i < keep.length; i++) r[i] = row[keep[i]];
            if (changeFile) r[keep.length] = row[row.length - 1];
            out.add(r);
        }
        return out;
    }

    private DataFileStatus writeParquet(Path dir, StructType schema, List<Object[]> rows, String prefix) throws IOException {
        Files.createDirectories(dir);
        DataFileStatus f;
        try (CloseableIterator<DataFileStatus> it = engine.getParquetHandler().writeParquetFiles(dir.toString(),
                single(new FilteredColumnarBatch(new RowBatch(schema, rows), Optional.empty())), List.of())) {
            f = it.next();
        }
        // Spark's names: part-… for data, cdc-… for change files
        Path written = Path.of(URI.create(f.getPath().contains(":") ? f.getPath() : "file://" + f.getPath()));
        Path renamed = written.resolveSibling(prefix + written.getFileName());
        Files.move(written, renamed);
        return new DataFileStatus(renamed.toUri().toString(), f.getSize(), f.getModificationTime(), f.getStatistics());
    }

    private static Object[] withChangeType(Object[] row, String type) {
        Object[] out = Arrays.copyOf(row, row.length + 1);
        out[row.length] = type;
        return out;
    }

    private static String action(String kind, ObjectNode body) {
        if (kind.equals("add") && !body.has("partitionValues")) {
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
