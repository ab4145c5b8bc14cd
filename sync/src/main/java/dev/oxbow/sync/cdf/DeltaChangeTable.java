package dev.oxbow.sync.cdf;

import dev.oxbow.compute.Lsn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.sync.RowBatch;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * One Delta table a change feed writes: created by Delta Kernel with the change data feed on, then one commit per
 * applied batch, written as Spark writes a MERGE (copy-on-write: the data files holding a changed key are rewritten,
 * the changes go to {@code cdc} files with {@code _change_type}). Each commit carries a {@code txn} action
 * ({@value #APP_ID}, version = the last applied Postgres commit LSN): that is how a restarted feed knows what the
 * table already holds. Kernel's writer writes the Parquet files with statistics; Kernel writes a checkpoint every
 * {@code checkpointInterval} commits. Only this writer may write the table. It keeps the key → file index in memory
 * (rebuilt from the files on open), not the rows.
 */
public final class DeltaChangeTable {
    public static final String APP_ID = "oxbow-cdf";
    /** A cell of an UPDATE's new row that Postgres did not send (an unchanged TOASTed value): the old row's value stays. */
    public static final Object UNCHANGED = new Object();
    private static final Logger log = LoggerFactory.getLogger(DeltaChangeTable.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Kind { INSERT, UPDATE, DELETE, TRUNCATE }

    /** One row change in the table's column order; {@code oldRow} (may hold only the key) for updates and deletes. */
    public record Change(Kind kind, Object[] oldRow, Object[] newRow) {}

    private final Path root;
    private final Engine engine = DefaultEngine.create(new Configuration());
    private final List<String> keyColumns;
    private final int checkpointInterval;
    private final Map<List<Object>, String> fileOfKey = new HashMap<>();
    private final Map<String, Long> fileSizes = new LinkedHashMap<>();
    private StructType schema;
    private long version;
    private long committedLsn;
    /** The actions of parts of a large transaction written but not yet committed ({@link #stage}). */
    private final List<String> staged = new ArrayList<>();
    /** Data files added by staged parts: a later part rewriting one drops its add instead of removing it. */
    private final Set<String> stagedFiles = new HashSet<>();
    private boolean stagedTruncate;
    private boolean stagedMerge;

    private DeltaChangeTable(Path root, List<String> keyColumns, int checkpointInterval) {
        this.root = root;
        this.keyColumns = List.copyOf(keyColumns);
        this.checkpointInterval = checkpointInterval;
    }

    /** Opens the table at {@code root}, creating it with {@code schema} when there is none. */
    public static DeltaChangeTable open(Path root, StructType schema, List<String> keyColumns, int checkpointInterval) throws IOException {
        DeltaChangeTable t = new DeltaChangeTable(root, keyColumns, checkpointInterval);
        if (!Files.isDirectory(root.resolve("_delta_log"))) {
            Files.createDirectories(root);
            Map<String, String> properties = Map.of("delta.enableChangeDataFeed", "true",
                    "delta.checkpointInterval", Integer.toString(checkpointInterval));
            TableManager.buildCreateTableTransaction(root.toString(), schema, APP_ID).withTableProperties(properties)
                    .build(t.engine).commit(t.engine, CloseableIterable.emptyIterable());
        }
        t.load();
        return t;
    }

    private void load() throws IOException {
        Snapshot snapshot = TableManager.loadSnapshot(root.toString()).build(engine);
        version = snapshot.getVersion();
        schema = snapshot.getSchema();
        committedLsn = snapshot.getLatestTransactionVersion(engine, APP_ID).orElse(0L);
        try (CloseableIterator<FilteredColumnarBatch> files = snapshot.getScanBuilder().build().getScanFiles(engine)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        FileStatus f = InternalScanFileUtils.getAddFileStatus(rows.next());
                        String name = relative(f.getPath());
                        fileSizes.put(name, f.getSize());
                        for (Object[] row : readFile(name)) fileOfKey.put(key(row), name);
                    }
                }
            }
        }
    }

    public StructType schema() {
        return schema;
    }

    public long version() {
        return version;
    }

    /** The last Postgres commit LSN this table holds (0 before the first). */
    public long committedLsn() {
        return committedLsn;
    }

    public long rowCount() {
        return fileOfKey.size();
    }

    /** Adds nullable columns at the end (what Delta can follow of an ALTER TABLE ... ADD COLUMN). */
    public void addColumns(List<StructField> added) throws IOException {
        StructType next = schema;
        for (StructField f : added) next = next.add(new StructField(f.getName(), f.getDataType(), true));
        Snapshot snapshot = TableManager.loadSnapshot(root.toString()).build(engine);
        var metadata = snapshot.getMetadata();
        ObjectNode m = JSON.createObjectNode().put("id", metadata.getId());
        m.putObject("format").put("provider", "parquet").putObject("options");
        m.put("schemaString", next.toJson());
        m.putArray("partitionColumns");
        ObjectNode conf = m.putObject("configuration");
        metadata.getConfiguration().forEach(conf::put);
        m.put("createdTime", metadata.getCreatedTime().orElse(System.currentTimeMillis()));
        commit("ADD COLUMNS", List.of(action("metaData", m)), committedLsn);
        schema = next;
    }

    /** Replaces the whole content by {@code rows} (a table's snapshot), as of {@code lsn}. */
    public void replaceAll(List<Object[]> rows, long lsn) throws IOException {
        List<String> lines = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Map.Entry<String, Long> f : fileSizes.entrySet()) lines.add(action("remove", remove(f.getKey(), f.getValue(), now)));
        fileSizes.clear();
        fileOfKey.clear();
        Map<List<Object>, Object[]> live = new LinkedHashMap<>();
        for (Object[] row : rows) live.put(key(row), row);
        addFiles(live, lines);
        commit("WRITE", lines, lsn);
    }

    /**
     * Applies one batch as one commit as of {@code lsn}, keyed by the primary key: an insert of a key the table holds
     * replaces that row and a change of a key it does not hold inserts (so replaying changes a snapshot already holds
     * converges on the same content).
     */
    public void apply(List<Change> changes, long lsn) throws IOException {
        if (changes.isEmpty()) {
            return;
        }
        stage(changes, false);
        commitStaged(lsn);
    }

    /** Whether parts are staged and not yet committed. */
    public boolean hasStaged() {
        return !staged.isEmpty();
    }

    /**
     * Writes one part of a transaction too large to hold in memory: its data and {@code cdc} files, uncommitted
     * (readers see nothing of it) until {@link #commitStaged} writes every part's actions in one commit. Each part's
     * changes always go to a {@code cdc} file (a commit with any takes all its changes from them). After a failure
     * before the commit this object is ahead of the files: open the table again.
     */
    public void stagePart(List<Change> changes) throws IOException {
        if (!changes.isEmpty()) stage(changes, true);
    }

    /** Commits what the staged parts wrote as one commit as of {@code lsn} (nothing when none are staged). */
    public void commitStaged(long lsn) throws IOException {
        if (staged.isEmpty()) return;
        List<String> lines = new ArrayList<>(staged);
        String operation = stagedTruncate ? "TRUNCATE" : stagedMerge ? "MERGE" : "WRITE";
        staged.clear();
        stagedFiles.clear();
        stagedTruncate = false;
        stagedMerge = false;
        commit(operation, lines, lsn);
    }

    private void stage(List<Change> changes, boolean alwaysCdc) throws IOException {
        Set<String> touched = new HashSet<>();
        boolean truncates = changes.stream().anyMatch(c -> c.kind() == Kind.TRUNCATE);
        if (truncates) {
            touched.addAll(fileSizes.keySet());
        } else {
            for (Change c : changes) {
                String f = fileOfKey.get(key(c.kind() == Kind.INSERT ? c.newRow() : c.oldRow() != null ? c.oldRow() : c.newRow()));
                if (f != null) touched.add(f);
            }
        }
        Map<List<Object>, Object[]> live = new LinkedHashMap<>();
        for (String f : touched) for (Object[] row : readFile(f)) live.put(key(row), row);
        List<Object[]> cdc = new ArrayList<>();
        boolean onlyFreshInserts = touched.isEmpty();
        for (Change c : changes) {
            switch (c.kind()) {
                case TRUNCATE -> {
                    live.values().forEach(r -> cdc.add(withChangeType(r, "delete")));
                    live.clear();
                    onlyFreshInserts = false;
                }
                case INSERT -> {
                    Object[] before = live.put(key(c.newRow()), c.newRow());
                    if (before != null) {
                        cdc.add(withChangeType(before, "update_preimage"));
                        cdc.add(withChangeType(c.newRow(), "update_postimage"));
                        onlyFreshInserts = false;
                    } else {
                        cdc.add(withChangeType(c.newRow(), "insert"));
                    }
                }
                case UPDATE -> {
                    onlyFreshInserts = false;
                    Object[] before = live.remove(key(c.oldRow() != null ? c.oldRow() : c.newRow()));
                    Object[] after = c.newRow().clone();
                    for (int i = 0; i < after.length; i++) {
                        if (after[i] == UNCHANGED) after[i] = before == null ? null : before[i];
                    }
                    live.put(key(after), after);
                    if (before != null) cdc.add(withChangeType(before, "update_preimage"));
                    cdc.add(withChangeType(after, before != null ? "update_postimage" : "insert"));
                }
                case DELETE -> {
                    onlyFreshInserts = false;
                    Object[] before = live.remove(key(c.oldRow()));
                    if (before != null) cdc.add(withChangeType(before, "delete"));
                }
            }
        }
        List<String> lines = staged;
        long now = System.currentTimeMillis();
        for (String f : touched) {
            long size = fileSizes.remove(f);
            if (stagedFiles.remove(f)) {
                // written by an earlier part of this commit: it never becomes visible, so its add goes, no remove
                lines.removeIf(l -> l.startsWith("{\"add\"") && addPath(l).equals(f));
                Files.deleteIfExists(root.resolve(f));
            } else {
                lines.add(action("remove", remove(f, size, now)));
            }
        }
        fileOfKey.values().removeIf(touched::contains);
        int before = lines.size();
        addFiles(live, lines);
        for (String l : lines.subList(before, lines.size())) stagedFiles.add(addPath(l));
        if ((alwaysCdc || !onlyFreshInserts) && !cdc.isEmpty()) {
            // with cdc files in a commit, readers of the change feed take the changes from them alone
            DataFileStatus f = writeParquet(root.resolve("_change_data"), schema.add(new StructField("_change_type", StringType.STRING, true)), cdc, false).get(0);
            lines.add(action("cdc", JSON.createObjectNode().put("path", relative(f.getPath())).put("size", f.getSize()).put("dataChange", false)
                    .<ObjectNode>set("partitionValues", JSON.createObjectNode())));
        }
        stagedTruncate |= truncates;
        stagedMerge |= !onlyFreshInserts;
    }

    private static String addPath(String addLine) {
        try {
            return JSON.readTree(addLine).path("add").path("path").asText();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void addFiles(Map<List<Object>, Object[]> live, List<String> lines) throws IOException {
        if (live.isEmpty()) return;
        int first = lines.size();
        List<Object[]> rows = new ArrayList<>(live.values());
        for (DataFileStatus f : writeParquet(root, schema, rows, true)) {
            String name = relative(f.getPath());
            fileSizes.put(name, f.getSize());
            ObjectNode add = JSON.createObjectNode().put("path", name).put("size", f.getSize()).put("modificationTime", f.getModificationTime())
                    .put("dataChange", true);
            add.putObject("partitionValues");
            f.getStatistics().ifPresent(s -> add.put("stats", s.serializeAsJson(schema)));
            lines.add(action("add", add));
        }
        // one batch goes to one file here; a larger batch the writer split is indexed by reading the files back
        List<String> written = lines.subList(first, lines.size()).stream().filter(l -> l.startsWith("{\"add\"")).toList();
        if (written.size() == 1) {
            String name = JSON.readTree(written.get(0)).path("add").path("path").asText();
            for (List<Object> k : live.keySet()) fileOfKey.put(k, name);
        } else {
            for (String l : written) {
                String name = JSON.readTree(l).path("add").path("path").asText();
                for (Object[] row : readFile(name)) fileOfKey.put(key(row), name);
            }
        }
    }

    private List<DataFileStatus> writeParquet(Path dir, StructType fileSchema, List<Object[]> rows, boolean stats) throws IOException {
        Files.createDirectories(dir);
        List<Column> statsColumns = stats ? fileSchema.fields().stream().map(f -> new Column(f.getName())).toList() : List.of();
        List<DataFileStatus> out = new ArrayList<>();
        try (CloseableIterator<DataFileStatus> it = engine.getParquetHandler().writeParquetFiles(dir.toString(),
                io.delta.kernel.internal.util.Utils.singletonCloseableIterator(new FilteredColumnarBatch(new RowBatch(fileSchema, rows), Optional.empty())),
                statsColumns)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    private List<Object[]> readFile(String name) throws IOException {
        Path file = root.resolve(name);
        FileStatus status = FileStatus.of(file.toUri().toString(), Files.size(file), 0);
        List<Object[]> rows = new ArrayList<>();
        try (CloseableIterator<FileReadResult> it = engine.getParquetHandler().readParquetFiles(
                io.delta.kernel.internal.util.Utils.singletonCloseableIterator(status), schema, Optional.empty())) {
            while (it.hasNext()) {
                var batch = it.next().getData();
                for (int r = 0; r < batch.getSize(); r++) {
                    Object[] row = new Object[schema.length()];
                    for (int c = 0; c < schema.length(); c++) row[c] = CdfTypes.read(batch.getColumnVector(c), r);
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    private List<Object> key(Object[] row) {
        List<Object> key = new ArrayList<>(keyColumns.size());
        for (String k : keyColumns) {
            Object v = row[schema.indexOf(k)];
            key.add(v instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) : v);
        }
        return key;
    }

    private void commit(String operation, List<String> actions, long lsn) throws IOException {
        long next = version + 1;
        List<String> lines = new ArrayList<>();
        ObjectNode info = JSON.createObjectNode().put("timestamp", System.currentTimeMillis()).put("operation", operation)
                .put("engineInfo", APP_ID).put("txnId", UUID.randomUUID().toString()).put("isBlindAppend", operation.equals("WRITE") && actions.stream().noneMatch(a -> a.startsWith("{\"remove\"")));
        info.putObject("operationParameters").put("postgresLsn", Lsn.format(lsn));
        lines.add(action("commitInfo", info));
        lines.add(action("txn", JSON.createObjectNode().put("appId", APP_ID).put("version", lsn).put("lastUpdated", System.currentTimeMillis())));
        lines.addAll(actions);
        Path file = root.resolve("_delta_log").resolve(String.format("%020d.json", next));
        // put-if-absent, as Delta's log store does: a second writer's commit fails instead of overwriting
        Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        version = next;
        committedLsn = lsn;
        if (checkpointInterval > 0 && next % checkpointInterval == 0) {
            try {
                Table.forPath(engine, root.toString()).checkpoint(engine, next);
            } catch (Exception e) {
                // a missing checkpoint only makes readers replay more JSON; the commit stands
                log.warn("checkpoint failed table={} version={} cause={}", root, next, e.toString());
            }
        }
    }

    private static ObjectNode remove(String name, long size, long now) {
        ObjectNode remove = JSON.createObjectNode().put("path", name).put("deletionTimestamp", now).put("dataChange", true)
                .put("extendedFileMetadata", true).put("size", size);
        remove.putObject("partitionValues");
        return remove;
    }

    private static Object[] withChangeType(Object[] row, String type) {
        Object[] out = Arrays.copyOf(row, row.length + 1);
        out[row.length] = type;
        return out;
    }

    private static String action(String kind, ObjectNode body) {
        ObjectNode n = JSON.createObjectNode();
        n.set(kind, body);
        return n.toString();
    }

    private String relative(String path) {
        Path p = path.contains(":") ? Path.of(URI.create(path.startsWith("file:/") && !path.startsWith("file://") ? "file://" + path.substring(5) : path)) : Path.of(path);
        return root.toAbsolutePath().relativize(p).toString();
    }
}
