package dev.oxbow.sync;

import io.delta.kernel.CommitActions;
import io.delta.kernel.CommitRange;
import io.delta.kernel.CommitRangeBuilder;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.internal.DeltaLogActionUtils.DeltaAction;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * One Delta table read through Delta Kernel: its latest snapshot, a full scan of a version, and the row
 * changes of a range of commits. Kernel has no change-feed reader, so changes come from the commit actions
 * (PROTOCOL.md "Add CDC File"): a commit's {@code cdc} files when it has any, else the rows of its
 * data-changing {@code remove}s (deletes) and {@code add}s (inserts).
 *
 * <p>Every file is opened through a {@link ConfinedEngine}: none may resolve outside the source's {@link SourceRoot}.
 * Errors name the table and never quote the files' bytes (a parse error of Kernel or Jackson would).
 */
public final class DeltaSource {
    private final String location;
    private final String name;
    private final Engine engine;

    /** The table at {@code location}, confined to {@code root}; {@code name} is how errors call it (what the user asked for). */
    public DeltaSource(String location, SourceRoot root, String name) {
        this.location = location;
        this.name = name;
        Configuration conf = new Configuration();
        // the raw file system: no hidden .crc side files are opened beside the ones Kernel asks for
        conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
        conf.setBoolean("fs.file.impl.disable.cache", true);
        this.engine = new ConfinedEngine(DefaultEngine.create(conf), root);
    }

    /** The table at {@code location}, confined to its own directory (tests, tools). */
    public DeltaSource(String location) {
        this(location, ownDirectory(location), location);
    }

    private static SourceRoot ownDirectory(String location) {
        Path dir = Path.of(location).toAbsolutePath().normalize();
        try {
            return SourceRoot.of(dir);
        } catch (IOException e) {
            return new SourceRoot(dir); // nothing there yet: "No Delta table" follows
        }
    }

    public String location() {
        return location;
    }

    /** The latest snapshot; a clear error when there is no Delta table at the location. */
    public Snapshot latest() throws SyncException {
        try {
            return TableManager.loadSnapshot(location).build(engine);
        } catch (TableNotFoundException e) {
            throw new SyncException("No Delta table at " + name + ".");
        } catch (RuntimeException e) {
            throw unreadable(e);
        }
    }

    public long commitTimestamp(Snapshot snapshot) throws SyncException {
        try {
            return snapshot.getTimestamp(engine);
        } catch (RuntimeException e) {
            throw unreadable(e);
        }
    }

    /**
     * The error for a source Kernel could not read, in fixed words: the underlying message may quote the bytes
     * of whatever file it tried to parse, so only its type is kept.
     */
    SyncException unreadable(Throwable e) {
        if (outsideRoot(e)) {
                return new SyncException("The Delta table " + name + " has a file that resolves outside its directory (a symbolic link?);"
                        + " Oxbow reads only files inside the catalog. Replace the link with the file itself.");
        }
        String missing = missingFile(e);
        if (missing.contains("missing")) {
            return new SyncException("Cannot read the Delta table " + name + ": " + missing + " (deleted outside Delta, or vacuumed)."
                    + " Restore it, or repair the table (e.g. FSCK REPAIR TABLE in Spark), then sync again.");
        }
        return new SyncException("Cannot read the Delta table " + name + ": a log or data file is not valid Delta ("
                + e.getClass().getSimpleName() + "). Check the table with a Delta reader; Oxbow does not show the files' contents.");
    }

    private static boolean outsideRoot(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SourceRoot.SourceOutsideRoot) return true;
        }
        return false;
    }

    /** Carries an exception of the caller's visitor through Kernel's iterators, so it is not mistaken for a read error. */
    private static final class VisitorFailure extends RuntimeException {
        VisitorFailure(Exception cause) {
            super(cause);
        }
    }

    private static BatchVisitor carried(BatchVisitor visitor) {
        return (data, selected, changeType, op) -> {
            try {
                visitor.visit(data, selected, changeType, op);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new VisitorFailure(e);
            }
        };
    }

    public boolean changeDataFeedEnabled(Snapshot snapshot) {
        return "true".equalsIgnoreCase(snapshot.getTableProperties().getOrDefault("delta.enableChangeDataFeed", "false"));
    }

    /** Receives scanned or changed rows a batch at a time. */
    interface BatchVisitor {
        /** {@code selected} is null when every row is live; {@code changeType} is null for snapshot rows. */
        void visit(ColumnarBatch data, ColumnVector selected, ColumnVector changeType, char op) throws Exception;
    }

    /** Number of data files in the snapshot (for progress). */
    int fileCount(Snapshot snapshot) throws IOException, SyncException {
        try {
            return countFiles(snapshot);
        } catch (RuntimeException e) {
            throw unreadable(e);
        }
    }

    private int countFiles(Snapshot snapshot) throws IOException {
        int n = 0;
        try (CloseableIterator<FilteredColumnarBatch> files = snapshot.getScanBuilder().build().getScanFiles(engine)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        rows.next();
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /** Every live row of {@code snapshot}: partition values and deletion vectors applied by Kernel. */
    void scan(Snapshot snapshot, BatchVisitor visitor, Runnable afterFile) throws Exception {
        try {
            scanFiles(snapshot, carried(visitor), afterFile);
        } catch (VisitorFailure e) {
            throw (Exception) e.getCause();
        } catch (IOException | RuntimeException e) {
            if (e.getCause() instanceof VisitorFailure v) throw (Exception) v.getCause();
            throw unreadable(e);
        }
    }

    private void scanFiles(Snapshot snapshot, BatchVisitor visitor, Runnable afterFile) throws Exception {
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        StructType physical = ScanStateRow.getPhysicalDataReadSchema(scanState);
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> fileRows = files.next().getRows()) {
                    while (fileRows.hasNext()) {
                        Row fileRow = fileRows.next();
                        FileStatus file = InternalScanFileUtils.getAddFileStatus(fileRow);
                        CloseableIterator<ColumnarBatch> physicalData = engine.getParquetHandler()
                                .readParquetFiles(single(file), physical, Optional.empty()).map(FileReadResult::getData);
                        try (CloseableIterator<FilteredColumnarBatch> logical = Scan.transformPhysicalData(engine, scanState, fileRow, physicalData)) {
                            while (logical.hasNext()) {
                                FilteredColumnarBatch b = logical.next();
                                visitor.visit(b.getData(), b.getSelectionVector().orElse(null), null, 'i');
                            }
                        }
                        afterFile.run();
                    }
                }
            }
        }
    }

    /**
     * Every live row of {@code snapshot} as text, one string per column ({@code null} for NULL; timestamps as
     * microseconds since 1970), for comparing a synced table with its source.
     */
    public List<List<String>> rowsAsText(Snapshot snapshot) throws Exception {
        return rows(snapshot, DeltaSource::text);
    }

    /**
     * Every live row of {@code snapshot}, each cell as {@code cell} reads it (a column and a row index): for comparing
     * a table with what it should hold (tests, tools).
     */
    public <T> List<List<T>> rows(Snapshot snapshot, java.util.function.BiFunction<ColumnVector, Integer, T> cell) throws Exception {
        List<List<T>> out = new ArrayList<>();
        scan(snapshot, (batch, selected, changeType, op) -> {
            for (int r = 0; r < batch.getSize(); r++) {
                if (selected != null && (selected.isNullAt(r) || !selected.getBoolean(r))) continue;
                List<T> row = new ArrayList<>();
                for (int c = 0; c < batch.getSchema().length(); c++) {
                    row.add(cell.apply(batch.getColumnVector(c), r));
                }
                out.add(row);
            }
        }, () -> {});
        return out;
    }

    private static String text(ColumnVector v, int r) {
        var type = v.getDataType();
        return v.isNullAt(r) ? null
                : type instanceof io.delta.kernel.types.LongType || type instanceof io.delta.kernel.types.TimestampType
                  || type instanceof io.delta.kernel.types.TimestampNTZType ? Long.toString(v.getLong(r))
                : type instanceof io.delta.kernel.types.IntegerType ? Integer.toString(v.getInt(r))
                : type instanceof io.delta.kernel.types.DoubleType ? Double.toString(v.getDouble(r))
                : type instanceof io.delta.kernel.types.BooleanType ? Boolean.toString(v.getBoolean(r))
                : type instanceof io.delta.kernel.types.DecimalType ? v.getDecimal(r).toPlainString()
                : v.getString(r);
    }

    /** Raised when a commit range can no longer be read as changes (log expired, files vacuumed): only a full copy catches up. */
    static final class NeedsFullRefresh extends Exception {
        NeedsFullRefresh(String why) {
            super(why);
        }
    }

    /**
     * The row changes of commits {@code from..to} of {@code snapshot}'s table ({@link DeltaChanges}), read with its
     * schema. Ops: 'c' (a change file's row, see {@code changeType}), 'd' delete, 'i' insert.
     */
    void changes(long from, long to, Snapshot snapshot, List<String> keyColumns, DeltaChanges.Visitor visitor,
                 java.util.function.LongConsumer onCommit) throws Exception {
        DeltaChanges changes = new DeltaChanges(engine, location, snapshot.getSchema(), snapshot.getPartitionColumnNames(),
                snapshot.getTableProperties());
        DeltaChanges.Visitor carried = (data, selected, changeType, op, version) -> {
            try {
                visitor.visit(data, selected, changeType, op, version);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new VisitorFailure(e);
            }
        };
        try {
            changes.read(from, to, keyColumns, carried, onCommit);
        } catch (VisitorFailure e) {
            throw (Exception) e.getCause();
        } catch (RuntimeException | java.io.IOException e) {
            if (e.getCause() instanceof VisitorFailure v) throw (Exception) v.getCause();
            if (outsideRoot(e)) throw unreadable(e);
            // log files expired or data, change or deletion-vector files vacuumed: only a full copy can catch up
            throw new NeedsFullRefresh("changes for versions " + from + ".." + to + " can no longer be read (" + missingFile(e) + ")");
        }
    }

    /** The name (never the contents) of a missing file in {@code e}'s causes, else the exception's type. */
    static String missingFile(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.FileNotFoundException || t instanceof java.nio.file.NoSuchFileException) {
                String m = String.valueOf(t.getMessage());
                java.util.regex.Matcher f = java.util.regex.Pattern.compile("([^/\\s:]+\\.(?:parquet|json|bin|checkpoint\\.parquet))").matcher(m);
                return f.find() ? "file " + f.group(1) + " is missing" : "a file is missing";
            }
        }
        return e.getClass().getSimpleName();
    }

    private static <T> CloseableIterator<T> single(T item) {
        return io.delta.kernel.internal.util.Utils.singletonCloseableIterator(item);
    }
}
