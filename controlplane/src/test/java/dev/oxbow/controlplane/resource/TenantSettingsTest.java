package dev.oxbow.controlplane.resource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TenantSettingsTest {
    private static final String FIELD = "spec.settings.pg_settings";
    /** A 2 CU endpoint with the default 2 GiB per CU. */
    private static final SettingRule.Limits FOUR_GB = new SettingRule.Limits(4L << 30);

    /** Keys that run commands, load code, reach files or belong to Oxbow: every one is refused. */
    static final List<String> DANGEROUS = List.of(
            "recovery_end_command", "archive_cleanup_command", "archive_command", "archive_library", "restore_command",
            "ssl_passphrase_command", "ssl_passphrase_command_supports_reload",
            "shared_preload_libraries", "session_preload_libraries", "local_preload_libraries", "dynamic_library_path",
            "jit_provider", "plperl.on_init", "plperl.on_plperl_init", "plpython3u.on_init", "auto_explain.log_analyze",
            "allow_system_table_mods", "allow_in_place_tablespaces", "ignore_system_indexes", "zero_damaged_pages",
            "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file",
            "listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions", "unix_socket_group",
            "max_connections", "superuser_reserved_connections", "reserved_connections", "shared_buffers",
            "wal_level", "wal_recycle", "wal_init_zero", "wal_keep_size", "fsync", "full_page_writes",
            "archive_mode", "archive_timeout", "hot_standby", "primary_conninfo", "primary_slot_name",
            "recovery_target", "recovery_target_lsn", "recovery_target_time", "recovery_target_action",
            "ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file", "krb_server_keyfile",
            "log_directory", "log_filename", "logging_collector", "log_line_prefix", "event_source",
            "include", "include_dir", "include_if_exists", "search_path", "default_transaction_read_only",
            "session_replication_role", "lc_collate", "timezone_abbreviations", "max_wal_size", "checkpoint_timeout",
            "DYNAMIC_LIBRARY_PATH", " jit_provider ", "Recovery_End_Command", "no such setting", "x\nrestore_command");

    @ParameterizedTest
    @ValueSource(strings = {"recovery_end_command", "archive_cleanup_command", "plperl.on_init", "jit_provider",
            "shared_preload_libraries", "max_connections", "wal_level"})
    void refusalNamesTheKeyWithInvalidParameterValue(String key) {
        assertThatThrownBy(() -> TenantSettings.validate(Map.of(key, "x"), FIELD, FOUR_GB))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(400);
                    assertThat(e.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
                    assertThat(e.getMessage()).contains("'" + key + "'").contains(FIELD);
                });
    }

    @Test
    void everyDangerousKeyIsRefused() {
        for (String key : DANGEROUS) {
            assertThat(TenantSettings.isAllowed(key)).as(key).isFalse();
            assertThatThrownBy(() -> TenantSettings.validate(Map.of(key, "touch /tmp/pwned"), FIELD, FOUR_GB)).as(key)
                    .isInstanceOf(ApiException.class).hasMessageContaining("is not a setting a project may change");
        }
    }

    @Test
    void everyAllowedKeyIsAcceptedWithATypicalValue() {
        Map<String, String> typical = new LinkedHashMap<>();
        for (TenantSettings.Setting s : TenantSettings.allowed()) {
            typical.put(s.name(), typicalValue(s.rule()));
        }
        Map<String, String> stored = TenantSettings.validate(typical, FIELD, FOUR_GB);
        assertThat(stored).hasSize(TenantSettings.allowed().size());
        assertThat(stored).containsEntry("datestyle", "ISO, MDY").containsEntry("work_mem", "64MB");
    }

    @Test
    void namedExamplesAreAccepted() {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("statement_timeout", "30s");
        in.put("lock_timeout", "5000");
        in.put("idle_in_transaction_session_timeout", "10min");
        in.put("log_min_duration_statement", "-1");
        in.put("log_statement", "ddl");
        in.put("TimeZone", "America/Argentina/Buenos_Aires");
        in.put("lc_monetary", "en_US.UTF-8");
        in.put("default_text_search_config", "pg_catalog.english");
        in.put("default_transaction_isolation", "repeatable read");
        in.put("synchronous_commit", "off");
        in.put("random_page_cost", "1.1");
        in.put("jit", "off");
        in.put("enable_seqscan", "OFF");
        in.put("autovacuum_vacuum_scale_factor", "0.05");
        in.put("extra_float_digits", "-3");
        in.put("maintenance_work_mem", "1GB");
        in.put("temp_buffers", "1024");
        assertThat(TenantSettings.validate(in, FIELD, FOUR_GB)).hasSize(in.size()).containsEntry("timezone", "America/Argentina/Buenos_Aires");
    }

    @ParameterizedTest
    @ValueSource(strings = {"64MB'\ndynamic_library_path = '/tmp", "64MB\n", "64MB\r", "64\0MB", "64MB'", "64MB\"", "64MB\\"})
    void valuesThatCouldAddLinesToPostgresqlConfAreRefused(String value) {
        assertThatThrownBy(() -> TenantSettings.validate(Map.of("work_mem", value), FIELD, FOUR_GB))
                .isInstanceOf(ApiException.class).hasMessageContaining("'work_mem'");
    }

    @Test
    void valuesAreCheckedByType() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("work_mem", "banana");
        bad.put("work_mem ", "8 parsecs");
        bad.put("idle_session_timeout", "-5s");
        bad.put("lock_timeout", "99999999999d");
        bad.put("enable_seqscan", "maybe");
        bad.put("log_statement", "everything");
        bad.put("default_statistics_target", "0");
        bad.put("random_page_cost", "1e400");
        bad.put("TimeZone", "../../../etc/passwd");
        bad.put("timezone", "/etc/localtime");
        bad.put("lc_messages", "/tmp/evil");
        bad.put("DateStyle", "ISO; MDY");
        bad.put("jit_above_cost", "-2");
        bad.put("extra_float_digits", "4");
        bad.put("default_text_search_config", "pg_catalog.english x");
        bad.put("statement_timeout", "1".repeat(TenantSettings.MAX_VALUE_LENGTH + 1));
        for (var e : bad.entrySet()) {
            assertThatThrownBy(() -> TenantSettings.validate(Map.of(e.getKey(), e.getValue()), FIELD, FOUR_GB)).as(e.toString())
                    .isInstanceOf(ApiException.class).hasMessageContaining("value for '" + e.getKey().trim().toLowerCase() + "'");
        }
    }

    @Test
    void memoryStaysWithinTheEndpointsLargestSize() {
        assertThat(TenantSettings.validate(Map.of("work_mem", "4GB"), FIELD, FOUR_GB)).containsEntry("work_mem", "4GB");
        assertThatThrownBy(() -> TenantSettings.validate(Map.of("work_mem", "5GB"), FIELD, FOUR_GB))
                .isInstanceOf(ApiException.class).hasMessageContaining("memory");
        assertThatThrownBy(() -> TenantSettings.validate(Map.of("maintenance_work_mem", "4194305"), FIELD, FOUR_GB))
                .isInstanceOf(ApiException.class).hasMessageContaining("memory"); // kB: 4 GiB + 1 kB
        assertThatThrownBy(() -> TenantSettings.validate(Map.of("temp_buffers", "524289"), FIELD, FOUR_GB))
                .isInstanceOf(ApiException.class).hasMessageContaining("memory"); // 8 kB blocks
        // a planner hint is no allocation
        assertThat(TenantSettings.validate(Map.of("effective_cache_size", "64GB"), FIELD, FOUR_GB)).hasSize(1);
    }

    @Test
    void storedSettingsFromBeforeTheAllowListAreFilteredAtStart() {
        Map<String, String> stored = new LinkedHashMap<>();
        stored.put("recovery_end_command", "touch /tmp/pwned");
        stored.put("plperl.on_init", "system('id')");
        stored.put("work_mem", "8MB");
        stored.put("statement_timeout", "30s");
        stored.put("lock_timeout", "1s'\nrestore_command='id");
        List<String> dropped = new ArrayList<>();
        Map<String, String> kept = TenantSettings.allowedOnly(stored, FOUR_GB, dropped);
        assertThat(kept).containsOnlyKeys("work_mem", "statement_timeout");
        assertThat(dropped).containsExactly("recovery_end_command", "plperl.on_init", "lock_timeout");
    }

    @Test
    void readmeListsExactlyTheAllowedSettings() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        String table = TenantSettings.readmeTable();
        assertThat(text).as("README.md must hold TenantSettings.readmeTable(); paste this:\n" + table).contains(table);
        for (TenantSettings.Setting s : TenantSettings.allowed()) {
            assertThat(text).contains("| `" + s.name() + "` |");
        }
    }

    private static String typicalValue(SettingRule rule) {
        return switch (rule) {
            case SettingRule.Bool b -> "on";
            case SettingRule.Choice c -> c.values().getLast();
            case SettingRule.Int i -> Long.toString(Math.max(i.min(), Math.min(i.max(), 8)));
            case SettingRule.Real r -> r.min() > 1 ? "2" : r.max() <= 1 ? "0.5" : "1.5";
            case SettingRule.Size s -> s.withinCu() ? "64MB" : "1GB";
            case SettingRule.Time t -> "5s";
            case SettingRule.Text t -> t.example().split(" or ")[0];
        };
    }
}
