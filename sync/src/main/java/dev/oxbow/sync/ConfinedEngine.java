package dev.oxbow.sync;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.ExpressionHandler;
import io.delta.kernel.engine.FileReadRequest;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.engine.FileSystemClient;
import io.delta.kernel.engine.JsonHandler;
import io.delta.kernel.engine.MetricsReporter;
import io.delta.kernel.engine.ParquetHandler;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Predicate;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A read-only Delta Kernel engine whose every file access is checked against a {@link SourceRoot} before the
 * wrapped engine opens it: log files, checkpoints, data and change files, deletion vectors and listings alike.
 * Writes are refused; a synced table only reads its source.
 */
final class ConfinedEngine implements Engine {
    private final Engine engine;
    private final SourceRoot root;

    ConfinedEngine(Engine engine, SourceRoot root) {
        this.engine = engine;
        this.root = root;
    }

    @Override
    public ExpressionHandler getExpressionHandler() {
        return engine.getExpressionHandler();
    }

    @Override
    public List<MetricsReporter> getMetricsReporters() {
        return engine.getMetricsReporters();
    }

    private FileStatus checked(FileStatus f) {
        root.check(f.getPath());
        return f;
    }

    private static IOException readOnly() {
        return new IOException("synced-table sources are read only");
    }

    @Override
    public JsonHandler getJsonHandler() {
        JsonHandler json = engine.getJsonHandler();
        return new JsonHandler() {
            @Override
            public ColumnarBatch parseJson(ColumnVector jsonStringVector, StructType outputSchema, Optional<ColumnVector> selectionVector) {
                return json.parseJson(jsonStringVector, outputSchema, selectionVector);
            }

            @Override
            public CloseableIterator<ColumnarBatch> readJsonFiles(CloseableIterator<FileStatus> files, StructType physicalSchema,
                                                                  Optional<Predicate> predicate) throws IOException {
                return json.readJsonFiles(files.map(ConfinedEngine.this::checked), physicalSchema, predicate);
            }

            @Override
            public void writeJsonFileAtomically(String filePath, CloseableIterator<Row> data, boolean overwrite) throws IOException {
                throw readOnly();
            }
        };
    }

    @Override
    public ParquetHandler getParquetHandler() {
        ParquetHandler parquet = engine.getParquetHandler();
        return new ParquetHandler() {
            @Override
            public CloseableIterator<FileReadResult> readParquetFiles(CloseableIterator<FileStatus> files, StructType physicalSchema,
                                                                      Optional<Predicate> predicate) throws IOException {
                return parquet.readParquetFiles(files.map(ConfinedEngine.this::checked), physicalSchema, predicate);
            }

            @Override
            public CloseableIterator<DataFileStatus> writeParquetFiles(String directoryPath, CloseableIterator<FilteredColumnarBatch> data,
                                                                       List<Column> statsColumns) throws IOException {
                throw readOnly();
            }

            @Override
            public void writeParquetFileAtomically(String filePath, CloseableIterator<FilteredColumnarBatch> data) throws IOException {
                throw readOnly();
            }
        };
    }

    @Override
    public FileSystemClient getFileSystemClient() {
        FileSystemClient fs = engine.getFileSystemClient();
        return new FileSystemClient() {
            @Override
            public CloseableIterator<FileStatus> listFrom(String filePath) throws IOException {
                root.check(filePath);
                return fs.listFrom(filePath);
            }

            @Override
            public String resolvePath(String path) throws IOException {
                root.check(path);
                return fs.resolvePath(path);
            }

            @Override
            public CloseableIterator<ByteArrayInputStream> readFiles(CloseableIterator<FileReadRequest> readRequests) throws IOException {
                return fs.readFiles(readRequests.map(r -> {
                    root.check(r.getPath());
                    return r;
                }));
            }

            @Override
            public boolean mkdirs(String path) throws IOException {
                throw readOnly();
            }

            @Override
            public boolean delete(String path) throws IOException {
                throw readOnly();
            }

            @Override
            public FileStatus getFileStatus(String path) throws IOException {
                root.check(path);
                return fs.getFileStatus(path);
            }

            @Override
            public void copyFileAtomically(String srcPath, String destPath, boolean overwrite) throws IOException {
                throw readOnly();
            }
        };
    }
}
