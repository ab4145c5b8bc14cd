package dev.oxbow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.cli.GlobalOptions.LogFormat;
import dev.oxbow.cli.GlobalOptions.LogLevel;
import dev.oxbow.client.CallListener;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The CLI's own log (--log-level/--debug, --log-file, --log-format), on stderr unless a file is named, in the
 * key=value text or the JSON lines the Databricks CLI writes. It records each API call (method, path, status,
 * duration); it never sees a token or a body.
 */
final class CliLog implements CallListener {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LogLevel level;
    private final LogFormat format;
    private final Path file;
    private final Supplier<PrintWriter> stderr;

    CliLog(GlobalOptions options, Supplier<PrintWriter> stderr) {
        this.level = options.logLevel();
        this.format = options.logFormat();
        this.file = options.logFile();
        this.stderr = stderr;
    }

    @Override
    public void called(String method, String pathAndQuery, int status, Duration elapsed, String error) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("method", method);
        fields.put("path", pathAndQuery);
        if (status > 0) {
            fields.put("status", status);
        }
        fields.put("elapsed_ms", elapsed.toMillis());
        if (error != null) {
            fields.put("error", error);
        }
        log(error == null ? LogLevel.DEBUG : LogLevel.WARN, method + " " + pathAndQuery + (status > 0 ? " " + status : " failed"), fields);
    }

    void log(LogLevel at, String message, Map<String, Object> fields) {
        if (!level.logs(at)) {
            return;
        }
        String line = format == LogFormat.JSON ? json(at, message, fields) : text(at, message, fields);
        if (file == null) {
            PrintWriter err = stderr.get();
            err.println(line);
            err.flush();
            return;
        }
        try {
            Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the log file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String text(LogLevel at, String message, Map<String, Object> fields) {
        StringBuilder b = new StringBuilder("time=").append(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .append(" level=").append(at).append(" msg=").append(quote(message));
        fields.forEach((k, v) -> b.append(' ').append(k).append('=').append(v instanceof String s ? quote(s) : v));
        return b.toString();
    }

    private static String quote(String s) {
        return s.matches("[^\\s\"=]+") ? s : '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static String json(LogLevel at, String message, Map<String, Object> fields) {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        n.put("level", at.name());
        n.put("msg", message);
        fields.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
        return n.toString();
    }
}
