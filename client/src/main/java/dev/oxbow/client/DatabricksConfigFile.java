package dev.oxbow.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Databricks tools' configuration file ({@code ~/.databrickscfg}, or {@code DATABRICKS_CONFIG_FILE}): INI sections
 * named after profiles, each with {@code host} and {@code token}. Read so that {@code --profile NAME} and
 * {@code DATABRICKS_CONFIG_PROFILE} mean what they mean to the Databricks CLI and SDKs.
 */
public record DatabricksConfigFile(Path path, Map<String, Map<String, String>> profiles) {

    public DatabricksConfigFile {
        profiles = Map.copyOf(profiles);
    }

    /** The file the variables name (DATABRICKS_CONFIG_FILE, default ~/.databrickscfg); empty when it does not exist. */
    public static DatabricksConfigFile of(Map<String, String> env) {
        String configured = env.get("DATABRICKS_CONFIG_FILE");
        Path path = configured == null || configured.isBlank()
                ? Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".databrickscfg")
                : Path.of(configured.replaceFirst("^~", System.getProperty("user.home")));
        if (!Files.isRegularFile(path)) {
            return new DatabricksConfigFile(path, Map.of());
        }
        try {
            return parse(path, Files.readString(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** INI as the Databricks SDKs read it: [section], key = value, ';' and '#' comments; keys are case-insensitive. */
    static DatabricksConfigFile parse(Path path, String text) {
        Map<String, Map<String, String>> profiles = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String raw : text.split("\\R")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = profiles.computeIfAbsent(line.substring(1, line.length() - 1).strip(), k -> new LinkedHashMap<>());
                continue;
            }
            int eq = line.indexOf('=');
            if (current != null && eq > 0) {
                current.put(line.substring(0, eq).strip().toLowerCase(), line.substring(eq + 1).strip());
            }
        }
        Map<String, Map<String, String>> frozen = new LinkedHashMap<>();
        profiles.forEach((k, v) -> frozen.put(k, Map.copyOf(v)));
        return new DatabricksConfigFile(path, frozen);
    }

    public Optional<Map<String, String>> profile(String name) {
        return Optional.ofNullable(profiles.get(name));
    }

    /**
     * The host and token of profile {@code name}; a missing profile or one without host and token is an error that
     * names the file and the fix (never the token).
     */
    public OxbowClient client(String name) {
        Map<String, String> p = profile(name).orElseThrow(() -> new OxbowException(400, "INVALID_PARAMETER_VALUE",
                "profile '" + name + "' is not in " + path + "; add a [" + name + "] section with host and token"
                        + (profiles.isEmpty() ? "" : " (profiles there: " + String.join(", ", profiles.keySet()) + ")")));
        String host = p.get("host");
        String token = p.get("token");
        if (host == null || host.isBlank() || token == null || token.isBlank()) {
            throw new OxbowException(400, "INVALID_PARAMETER_VALUE", "profile '" + name + "' in " + path
                    + " needs both host and token (Oxbow accepts personal access tokens only)");
        }
        return new OxbowClient(host.contains("://") ? host : "https://" + host, token);
    }
}
