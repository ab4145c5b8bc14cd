package dev.oxbow.cli;

import java.nio.file.Path;

/**
 * The Databricks CLI's root flags, accepted on every command: which profile of ~/.databrickscfg to use, and the
 * log settings ({@code --debug} is {@code --log-level debug}). {@code target} names a bundle target; Oxbow has no
 * bundles, so like the Databricks CLI outside a bundle directory it changes nothing.
 */
public record GlobalOptions(String profile, String target, LogLevel logLevel, Path logFile, LogFormat logFormat) {
    public static final GlobalOptions NONE = new GlobalOptions(null, null, LogLevel.DISABLED, null, LogFormat.TEXT);

    /** Databricks' levels, lowest first; DISABLED (the default) logs nothing. */
    public enum LogLevel {
        TRACE, DEBUG, INFO, WARN, ERROR, DISABLED;

        boolean logs(LogLevel message) {
            return this != DISABLED && message.ordinal() >= ordinal();
        }
    }

    public enum LogFormat { TEXT, JSON }
}
