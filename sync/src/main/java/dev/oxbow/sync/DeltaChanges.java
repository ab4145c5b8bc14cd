package dev.oxbow.sync;

import io.delta.kernel.CommitActions;
import io.delta.kernel.CommitRange;
import io.delta.kernel.CommitRangeBuilder;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.internal.DeltaLogActionUtils.DeltaAction;
import io.delta.kernel.internal.actions.DeletionVectorDescriptor;
import io.delta.kernel.internal.deletionvectors.DeletionVectorUtils;
import io.delta.kernel.internal.deletionvectors.RoaringBitmapArray;
import io.delta.kernel.internal.util.ColumnMapping;
import io.delta.kernel.internal.util.PartitionUtils;
import io.delta.kernel.internal.util.VectorUtils;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;

import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * The row changes of a range of commits, read from the commit actions as Delta's own change feed reader does
 * (PROTOCOL.md "Add CDC File", Spark's {@code CDCReader}):
 * <ul>
 *   <li>a commit with {@code cdc} actions: only its change files, whose {@code _change_type} says what each row is;</li>
 *   <li>otherwise its data-changing {@code remove}s and {@code add}s: a {@code remove} and {@code add} of the same
 *       path differ only in their deletion vectors (rows newly masked are deletes, rows unmasked inserts); any other
 *       {@code remove} deletes its live rows and any other {@code add} inserts its live rows.</li>
 * </ul>
 * Files are read the way the table stores them: by physical column name under column mapping, and without the
 * partition columns, whose values come from each action's {@code partitionValues}.
 */
final class DeltaChanges {
    static final String CHANGE_TYPE = "_change_type";

    /** Receives changed rows a batch at a time; {@code selected} may be null (every row). Ops: 'c' (see {@code changeType}), 'd', 'i'. */
    interface Visitor {
        void visit(ColumnarBatch data, ColumnVector selected, ColumnVector changeType, char op, long version) throws Exception;
    }

    private final Engine engine;
    private final String location;
    private final StructType schema;
    private final Set<String> partitionColumns;
    private final ColumnMapping.ColumnMappingMode mapping;

    /** Changes read with {@code schema}, the latest logical schema (older files read columns added since as nulls). */
    DeltaChanges(Engine engine, String location, StructType schema, List<String> partitionColumns, Map<String, String> tableProperties) {
        this.engine = engine;
        this.location = location;
        this.schema = schema;
        this.partitionColumns = Set.copyOf(partitionColumns);
        this.mapping = ColumnMapping.getColumnMappingMode(tableProperties);
    }

    void read(long from, long to, List<String> keyColumns, Visitor visitor, LongConsumer onCommit) throws Exception {
        CommitRange range = TableManager.loadCommitRange(location, CommitRangeBuilder.CommitBoundary.atVersion(from))
                .withEndBoundary(CommitRangeBuilder.CommitBoundary.atVersion(to)).build(engine);
        StructType keySchema = new StructType(keyColumns.stream().map(schema::get).toList());
        try (CloseableIterator<CommitActions> commits = range.getCommitActions(engine, EnumSet.of(DeltaAction.ADD, DeltaAction.REMOVE, DeltaAction.CDC))) {
            while (commits.hasNext()) {
                try (CommitActions commit = commits.next()) {
                    long version = commit.getVersion();
                    List<FileAction> adds = new ArrayList<>();
                    List<FileAction> removes = new ArrayList<>();
                    List<FileAction> cdcs = new ArrayList<>();
                    try (CloseableIterator<ColumnarBatch> actions = commit.getActions()) {
                        while (actions.hasNext()) {
                            ColumnarBatch b = actions.next();
                            collect(b, "add", adds, true);
                            collect(b, "remove", removes, true);
                            collect(b, "cdc", cdcs, false);
                        }
                    }
                    if (!cdcs.isEmpty()) {
                        for (FileAction f : cdcs) {
                            readFile(f, schema, true, (batch, offset) ->
                                    visitor.visit(batch, null, batch.getColumnVector(batch.getSchema().length() - 1), 'c', version));
                        }
                    } else {
                        fileChanges(adds, removes, keySchema, visitor, version);
                    }
                    onCommit.accept(version);
                }
            }
        }
    }

    /** A commit without change files: deletion-vector diffs of re-added paths, removed files' live rows, added files' live rows. */
    private void fileChanges(List<FileAction> adds, List<FileAction> removes, StructType keySchema, Visitor visitor, long version) throws Exception {
        Map<String, FileAction> added = new LinkedHashMap<>();
        adds.forEach(a -> added.put(a.path(), a));
        for (FileAction removed : removes) {
            FileAction readded = added.remove(removed.path());
            if (readded == null) {
                RoaringBitmapArray masked = bitmap(removed.deletionVector());
                readFile(removed, keySchema, false, (batch, offset) -> visitor.visit(batch, live(batch.getSize(), offset, masked), null, 'd', version));
            } else {
                RoaringBitmapArray before = bitmap(removed.deletionVector());
                RoaringBitmapArray after = bitmap(readded.deletionVector());
                readFile(readded, schema, false, (batch, offset) -> {
                    visitor.visit(batch, newlyIn(batch.getSize(), offset, after, before), null, 'd', version);
                    visitor.visit(batch, newlyIn(batch.getSize(), offset, before, after), null, 'i', version);
                });
            }
        }
        for (FileAction a : added.values()) {
            RoaringBitmapArray masked = bitmap(a.deletionVector());
            readFile(a, schema, false, (batch, offset) -> visitor.visit(batch, live(batch.getSize(), offset, masked), null, 'i', version));
        }
    }

    private RoaringBitmapArray bitmap(DeletionVectorDescriptor dv) {
        return dv == null ? null : DeletionVectorUtils.loadNewDvAndBitmap(engine, location, dv)._2;
    }

    /** Rows not masked by {@code masked}; null (every row) without a deletion vector. */
    private static ColumnVector live(int size, long offset, RoaringBitmapArray masked) {
        if (masked == null) return null;
        boolean[] keep = new boolean[size];
        for (int r = 0; r < size; r++) keep[r] = !masked.contains(offset + r);
        return new Selection(keep);
    }

    /** Rows masked by {@code now} but not by {@code before}. */
    private static ColumnVector newlyIn(int size, long offset, RoaringBitmapArray now, RoaringBitmapArray before) {
        boolean[] keep = new boolean[size];
        for (int r = 0; r < size; r++) {
            long i = offset + r;
            keep[r] = now != null && now.contains(i) && (before == null || !before.contains(i));
        }
        return new Selection(keep);
    }

    private record FileAction(String path, long size, Map<String, String> partitionValues, DeletionVectorDescriptor deletionVector) {}

    private interface FileBatches {
        /** {@code offset} is the file's row index of the batch's first row (deletion vectors count rows from 0). */
        void accept(ColumnarBatch batch, long offset) throws Exception;
    }

    private static void collect(ColumnarBatch actions, String column, List<FileAction> out, boolean onlyDataChange) {
        int idx = actions.getSchema().indexOf(column);
        if (idx < 0) return;
        ColumnVector v = actions.getColumnVector(idx);
        StructType s = (StructType) actions.getSchema().at(idx).getDataType();
        int pathIdx = s.indexOf("path");
        int sizeIdx = s.indexOf("size");
        int changeIdx = s.indexOf("dataChange");
        int dvIdx = s.indexOf("deletionVector");
        int partIdx = s.indexOf("partitionValues");
        for (int r = 0; r < actions.getSize(); r++) {
            if (v.isNullAt(r)) continue;
            if (onlyDataChange && changeIdx >= 0 && !v.getChild(changeIdx).isNullAt(r) && !v.getChild(changeIdx).getBoolean(r)) {
                continue; // OPTIMIZE, compaction, DV purge: the same rows in new files
            }
            long size = sizeIdx >= 0 && !v.getChild(sizeIdx).isNullAt(r) ? v.getChild(sizeIdx).getLong(r) : 0;
            Map<String, String> partitions = partIdx >= 0 && !v.getChild(partIdx).isNullAt(r)
                    ? VectorUtils.<String, String>toJavaMap(v.getChild(partIdx).getMap(r)) : Map.of();
            DeletionVectorDescriptor dv = dvIdx >= 0 ? DeletionVectorDescriptor.fromColumnVector(v.getChild(dvIdx), r) : null;
            out.add(new FileAction(v.getChild(pathIdx).getString(r), size, partitions, dv));
        }
    }

    /**
     * Reads the columns {@code logical} (and {@code _change_type} for a change file) of one file: data columns by
     * physical name, partition columns from the action's values; batches come out with the logical names.
     */
    private void readFile(FileAction f, StructType logical, boolean changeFile, FileBatches consumer) throws Exception {
        StructType wanted = changeFile ? logical.add(new StructField(CHANGE_TYPE, StringType.STRING, true)) : logical;
        StructType data = new StructType(logical.fields().stream().filter(c -> !partitionColumns.contains(c.getName())).toList());
        StructType physical = ColumnMapping.convertToPhysicalSchema(data, schema, mapping);
        if (changeFile) physical = physical.add(new StructField(CHANGE_TYPE, StringType.STRING, true));
        boolean withPartitions = data.length() < logical.length();
        FileStatus status = FileStatus.of(absolute(f.path()), f.size(), 0);
        long offset = 0;
        try (CloseableIterator<FileReadResult> it = engine.getParquetHandler().readParquetFiles(
                io.delta.kernel.internal.util.Utils.singletonCloseableIterator(status), physical, Optional.empty())) {
            while (it.hasNext()) {
                ColumnarBatch batch = it.next().getData();
                if (withPartitions) {
                    batch = PartitionUtils.withPartitionColumns(batch, wanted, f.partitionValues(), engine.getExpressionHandler());
                }
                consumer.accept(new Renamed(batch, wanted), offset);
                offset += batch.getSize();
            }
        }
    }

    private String absolute(String path) {
        URI uri = URI.create(path.replace(" ", "%20"));
        if (uri.isAbsolute()) return path;
        String root = location.endsWith("/") ? location : location + "/";
        return root + java.net.URLDecoder.decode(path, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A batch read by physical names, seen with the logical ones (same columns, same order). */
    private record Renamed(ColumnarBatch batch, StructType schema) implements ColumnarBatch {
        @Override public StructType getSchema() { return schema; }
        @Override public ColumnVector getColumnVector(int ordinal) { return batch.getColumnVector(ordinal); }
        @Override public int getSize() { return batch.getSize(); }
    }

    /** A selection vector: which rows of a batch a visit takes. */
    private record Selection(boolean[] keep) implements ColumnVector {
        @Override public DataType getDataType() { return io.delta.kernel.types.BooleanType.BOOLEAN; }
        @Override public int getSize() { return keep.length; }
        @Override public void close() {}
        @Override public boolean isNullAt(int rowId) { return false; }
        @Override public boolean getBoolean(int rowId) { return keep[rowId]; }
    }
}
