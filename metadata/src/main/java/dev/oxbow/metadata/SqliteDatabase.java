package dev.oxbow.metadata;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One SQLite connection (WAL mode) guarded by a reentrant lock: every read and write is serialised,
 * and {@link #transaction} nests (inner calls join the outer transaction).
 */
final class SqliteDatabase implements AutoCloseable {
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    /** Bumped by every write but audit appends, so caches of metadata (the Data API's) know when to read again. */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    private int depth;

    SqliteDatabase(Path file) {
        makePrivate(file);
        try {
            connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement st = connection.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA busy_timeout=5000");
                st.execute("PRAGMA foreign_keys=ON");
            }
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            throw new MetadataException("cannot open metadata database " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The database holds every tenant's names, settings and credential hashes: owner-only. SQLite creates
     * its -wal and -shm files with the database file's mode, so creating that 0600 first covers them; older
     * homes are tightened.
     */
    private static void makePrivate(Path file) {
        var mode = java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
        try {
            if (!java.nio.file.Files.exists(file)) {
                java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
                java.nio.file.Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(mode));
            }
            for (String suffix : java.util.List.of("", "-wal", "-shm", "-journal")) {
                Path p = file.resolveSibling(file.getFileName() + suffix);
                if (java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    java.nio.file.Files.setPosixFilePermissions(p, mode);
                }
            }
        } catch (java.io.IOException | UnsupportedOperationException e) {
            throw new MetadataException("cannot make metadata database " + file + " private: " + e.getMessage(), e);
        }
    }

    <T> T transaction(Supplier<T> work) {
        lock.lock();
        try {
            boolean outer = depth == 0;
            if (outer) {
                setAutoCommit(false);
            }
            depth++;
            boolean ok = false;
            try {
                T result = work.get();
                ok = true;
                return result;
            } finally {
                depth--;
                if (outer) {
                    finish(ok);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void setAutoCommit(boolean on) {
        try {
            connection.setAutoCommit(on);
        } catch (SQLException e) {
            throw new MetadataException("cannot start a metadata transaction: " + e.getMessage(), e);
        }
    }

    private void finish(boolean commit) {
        try {
            if (commit) {
                connection.commit();
            } else {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw new MetadataException("metadata commit failed: " + e.getMessage(), e);
        } finally {
            setAutoCommit(true);
        }
    }

    long changes() {
        return changes.get();
    }

    int update(String sql, Object... args) {
        lock.lock();
        try (PreparedStatement ps = prepare(sql, args)) {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new MetadataException("metadata write failed: " + e.getMessage(), e);
        } finally {
            // inside the lock: a reader that sees the new count reads the data after this write (and its transaction)
            changes.incrementAndGet();
            lock.unlock();
        }
    }

    /** An insert into an append-only log: not a change of what caches hold. */
    void append(String sql, Object... args) {
        lock.lock();
        try (PreparedStatement ps = prepare(sql, args)) {
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new MetadataException("metadata write failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    List<String[]> query(String sql, int columns, Object... args) {
        lock.lock();
        try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
            List<String[]> rows = new ArrayList<>();
            while (rs.next()) {
                String[] row = new String[columns];
                for (int i = 0; i < columns; i++) {
                    row[i] = rs.getString(i + 1);
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new MetadataException("metadata read failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    void exec(String sql) {
        lock.lock();
        try (Statement st = connection.createStatement()) {
            st.executeUpdate(sql);
        } catch (SQLException e) {
            throw new MetadataException("metadata statement failed: " + e.getMessage(), e);
        } finally {
            changes.incrementAndGet();
            lock.unlock();
        }
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new MetadataException("cannot close metadata database: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** {@code s} as a literal inside a LIKE pattern written with {@code ESCAPE '\\'}. */
    static String escapeLike(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
