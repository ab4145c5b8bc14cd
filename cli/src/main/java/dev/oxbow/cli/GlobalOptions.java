package dev.oxbow.cli;

import java.nio.file.Path;

/**
 * What the Databricks CLI's root flags ask of a run: which profile of ~/.databrickscfg to use, and the log settings
 * ({@code --debug} is {@code --log-level debug}). ({@code -t/--target} is accepted by {@link OxbowCommand} but changes
 * nothing: Oxbow has no bundles, as the Databricks CLI outside a bundle directory.)
 */
public record GlobalOptions(String profile, LogLevel logLevel, Path logFile, LogFormat logFormat) {
    public static final GlobalOptions NONE = new GlobalOptions(null, LogLevel.DISABLED, null, LogFormat.TEXT);

    /** Databricks' levels, lowest first; DISABLED (the default) logs nothing. */
    public enum LogLevel {
        TRACE, DEBUG, INFO, WARN, ERROR, DISABLED;

        boolean logs(LogLevel message) {
            return this != DISABLED && message.ordinal() >= ordinal();
        }
    }

    public enum LogFormat { TEXT, JSON }
}
