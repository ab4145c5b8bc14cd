package dev.oxbow.controlplane.resource;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Postgres settings a tenant may tune through {@code pg_settings} (endpoint settings and project
 * defaults), and nothing else. An allow-list because the other settings include ones that run shell
 * commands or load code as the compute's OS user (archive/restore/recovery commands, preload libraries,
 * jit_provider, ssl_passphrase_command, custom dotted keys such as plperl.on_init) and ones Oxbow owns
 * (sockets, WAL, archiving, max_connections from the CU). The README's "Compute settings" table is
 * {@link #readmeTable()}; a test keeps the two equal.
 */
public final class TenantSettings {
    /** Longer values are refused: no allowed setting needs more, and postgresql.conf lines stay short. */
    static final int MAX_VALUE_LENGTH = 128;
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]{0,62}");

    enum Group {
        PLANNER("Planner and query tuning"),
        MEMORY("Memory (at most the RAM of the endpoint's max CU)"),
        LOGGING("Logging of the tenant's own statements"),
        TIMEOUTS("Timeouts"),
        LOCALE("Locale and formatting"),
        TRANSACTIONS("Transactions"),
        AUTOVACUUM("Autovacuum"),
        VACUUM("Vacuum cost and freezing"),
        STATISTICS("Statistics collection");

        final String title;

        Group(String title) {
            this.title = title;
        }
    }

    /** One tunable setting: its name as Postgres spells it, its group and what values it takes. */
    record Setting(String name, Group group, SettingRule rule) {}

    private static final SettingRule BOOL = new SettingRule.Bool();
    private static final SettingRule COST = new SettingRule.Real(0, 1e10);
    private static final SettingRule JIT_COST = new SettingRule.Real(-1, 1e10);
    private static final SettingRule FRACTION = new SettingRule.Real(0, 1);
    private static final SettingRule SCALE = new SettingRule.Real(0, 100);
    private static final SettingRule WORKERS = new SettingRule.Int(0, 1024);
    private static final SettingRule IO = new SettingRule.Int(0, 1000);
    private static final SettingRule COUNT = new SettingRule.Int(0, SettingRule.INT_MAX);
    private static final SettingRule COLLAPSE = new SettingRule.Int(1, SettingRule.INT_MAX);
    private static final SettingRule MS = new SettingRule.Time(1_000, false);
    private static final SettingRule MS_OR_OFF = new SettingRule.Time(1_000, true);
    private static final SettingRule BLOCKS = new SettingRule.Size(8192, false, false);
    private static final SettingRule KB_OR_OFF = new SettingRule.Size(1024, true, false);
    /** No debug levels: the server log is on the host's disk, and debug5 fills it with Oxbow's own chatter. */
    private static final SettingRule LOG_LEVEL = choice("info", "notice", "warning", "error", "log", "fatal", "panic");
    private static final SettingRule LOCALE_NAME = new SettingRule.Text(Pattern.compile("[A-Za-z0-9_.@-]{1,64}"), "en_US.UTF-8 or C");
    private static final SettingRule PLAIN_INT = new SettingRule.Int(0, 2_000_000_000);
    private static final SettingRule COST_UNITS = new SettingRule.Int(0, 10_000);

    private static final List<Setting> ALLOWED = List.of(
            // planner
            planner("enable_async_append"), planner("enable_bitmapscan"), planner("enable_gathermerge"), planner("enable_hashagg"),
            planner("enable_hashjoin"), planner("enable_incremental_sort"), planner("enable_indexonlyscan"),
            planner("enable_indexscan"), planner("enable_material"), planner("enable_memoize"), planner("enable_mergejoin"),
            planner("enable_nestloop"), planner("enable_parallel_append"), planner("enable_parallel_hash"),
            planner("enable_partition_pruning"), planner("enable_partitionwise_aggregate"), planner("enable_partitionwise_join"),
            planner("enable_presorted_aggregate"), planner("enable_seqscan"), planner("enable_sort"), planner("enable_tidscan"),
            new Setting("seq_page_cost", Group.PLANNER, COST),
            new Setting("random_page_cost", Group.PLANNER, COST),
            new Setting("cpu_tuple_cost", Group.PLANNER, COST),
            new Setting("cpu_index_tuple_cost", Group.PLANNER, COST),
            new Setting("cpu_operator_cost", Group.PLANNER, COST),
            new Setting("parallel_setup_cost", Group.PLANNER, COST),
            new Setting("parallel_tuple_cost", Group.PLANNER, COST),
            new Setting("min_parallel_table_scan_size", Group.PLANNER, BLOCKS),
            new Setting("min_parallel_index_scan_size", Group.PLANNER, BLOCKS),
            new Setting("effective_cache_size", Group.PLANNER, BLOCKS),
            new Setting("effective_io_concurrency", Group.PLANNER, IO),
            new Setting("maintenance_io_concurrency", Group.PLANNER, IO),
            new Setting("default_statistics_target", Group.PLANNER, new SettingRule.Int(1, 10_000)),
            new Setting("constraint_exclusion", Group.PLANNER, choice("on", "off", "partition")),
            new Setting("cursor_tuple_fraction", Group.PLANNER, FRACTION),
            new Setting("from_collapse_limit", Group.PLANNER, COLLAPSE),
            new Setting("join_collapse_limit", Group.PLANNER, COLLAPSE),
            new Setting("geqo", Group.PLANNER, BOOL),
            new Setting("geqo_threshold", Group.PLANNER, new SettingRule.Int(2, SettingRule.INT_MAX)),
            new Setting("geqo_effort", Group.PLANNER, new SettingRule.Int(1, 10)),
            new Setting("plan_cache_mode", Group.PLANNER, choice("auto", "force_generic_plan", "force_custom_plan")),
            new Setting("recursive_worktable_factor", Group.PLANNER, new SettingRule.Real(0.001, 1e6)),
            new Setting("jit", Group.PLANNER, BOOL),
            new Setting("jit_above_cost", Group.PLANNER, JIT_COST),
            new Setting("jit_inline_above_cost", Group.PLANNER, JIT_COST),
            new Setting("jit_optimize_above_cost", Group.PLANNER, JIT_COST),
            new Setting("max_parallel_workers_per_gather", Group.PLANNER, WORKERS),
            new Setting("max_parallel_maintenance_workers", Group.PLANNER, WORKERS),
            new Setting("max_parallel_workers", Group.PLANNER, WORKERS),
            new Setting("parallel_leader_participation", Group.PLANNER, BOOL),
            // memory
            new Setting("work_mem", Group.MEMORY, new SettingRule.Size(1024, false, true)),
            new Setting("maintenance_work_mem", Group.MEMORY, new SettingRule.Size(1024, false, true)),
            new Setting("autovacuum_work_mem", Group.MEMORY, new SettingRule.Size(1024, true, true)),
            new Setting("temp_buffers", Group.MEMORY, new SettingRule.Size(8192, false, true)),
            new Setting("hash_mem_multiplier", Group.MEMORY, new SettingRule.Real(1, 1000)),
            new Setting("vacuum_buffer_usage_limit", Group.MEMORY, new SettingRule.Size(1024, false, true)),
            new Setting("temp_file_limit", Group.MEMORY, KB_OR_OFF),
            // logging
            new Setting("log_min_duration_statement", Group.LOGGING, MS_OR_OFF),
            new Setting("log_min_duration_sample", Group.LOGGING, MS_OR_OFF),
            new Setting("log_statement_sample_rate", Group.LOGGING, FRACTION),
            new Setting("log_transaction_sample_rate", Group.LOGGING, FRACTION),
            new Setting("log_statement", Group.LOGGING, choice("none", "ddl", "mod", "all")),
            new Setting("log_duration", Group.LOGGING, BOOL),
            new Setting("log_lock_waits", Group.LOGGING, BOOL),
            new Setting("log_temp_files", Group.LOGGING, KB_OR_OFF),
            new Setting("log_autovacuum_min_duration", Group.LOGGING, MS_OR_OFF),
            new Setting("log_connections", Group.LOGGING, BOOL),
            new Setting("log_disconnections", Group.LOGGING, BOOL),
            new Setting("log_min_messages", Group.LOGGING, LOG_LEVEL),
            new Setting("log_min_error_statement", Group.LOGGING, LOG_LEVEL),
            new Setting("log_error_verbosity", Group.LOGGING, choice("terse", "default", "verbose")),
            new Setting("log_parameter_max_length", Group.LOGGING, new SettingRule.Int(-1, SettingRule.INT_MAX)),
            new Setting("log_parameter_max_length_on_error", Group.LOGGING, new SettingRule.Int(-1, SettingRule.INT_MAX)),
            // timeouts
            new Setting("statement_timeout", Group.TIMEOUTS, MS),
            new Setting("lock_timeout", Group.TIMEOUTS, MS),
            new Setting("idle_in_transaction_session_timeout", Group.TIMEOUTS, MS),
            new Setting("idle_session_timeout", Group.TIMEOUTS, MS),
            new Setting("deadlock_timeout", Group.TIMEOUTS, MS),
            // locale and formatting
            new Setting("DateStyle", Group.LOCALE, new SettingRule.Text(Pattern.compile("[A-Za-z]{1,20}(\\s*,\\s*[A-Za-z]{1,20})?"), "ISO, MDY")),
            new Setting("IntervalStyle", Group.LOCALE, choice("postgres", "postgres_verbose", "sql_standard", "iso_8601")),
            // a zone name is looked up as a file under the zone database: no leading slash, no dot segments
            new Setting("TimeZone", Group.LOCALE, new SettingRule.Text(
                    Pattern.compile("[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,3}"), "UTC or Europe/Berlin")),
            new Setting("lc_messages", Group.LOCALE, LOCALE_NAME),
            new Setting("lc_monetary", Group.LOCALE, LOCALE_NAME),
            new Setting("lc_numeric", Group.LOCALE, LOCALE_NAME),
            new Setting("lc_time", Group.LOCALE, LOCALE_NAME),
            new Setting("default_text_search_config", Group.LOCALE, new SettingRule.Text(
                    Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?"), "pg_catalog.english")),
            new Setting("extra_float_digits", Group.LOCALE, new SettingRule.Int(-15, 3)),
            new Setting("bytea_output", Group.LOCALE, choice("hex", "escape")),
            new Setting("xmlbinary", Group.LOCALE, choice("base64", "hex")),
            new Setting("xmloption", Group.LOCALE, choice("content", "document")),
            new Setting("client_min_messages", Group.LOCALE, choice("debug5", "debug4", "debug3", "debug2", "debug1", "log",
                    "notice", "warning", "error")),
            // transactions
            new Setting("default_transaction_isolation", Group.TRANSACTIONS, choice("read uncommitted", "read committed",
                    "repeatable read", "serializable")),
            new Setting("default_transaction_deferrable", Group.TRANSACTIONS, BOOL),
            new Setting("synchronous_commit", Group.TRANSACTIONS, choice("on", "off", "local", "remote_write", "remote_apply")),
            // autovacuum
            new Setting("autovacuum", Group.AUTOVACUUM, BOOL),
            new Setting("autovacuum_naptime", Group.AUTOVACUUM, new SettingRule.Time(1_000_000, false)),
            new Setting("autovacuum_vacuum_threshold", Group.AUTOVACUUM, COUNT),
            new Setting("autovacuum_vacuum_insert_threshold", Group.AUTOVACUUM, new SettingRule.Int(-1, SettingRule.INT_MAX)),
            new Setting("autovacuum_analyze_threshold", Group.AUTOVACUUM, COUNT),
            new Setting("autovacuum_vacuum_scale_factor", Group.AUTOVACUUM, SCALE),
            new Setting("autovacuum_vacuum_insert_scale_factor", Group.AUTOVACUUM, SCALE),
            new Setting("autovacuum_analyze_scale_factor", Group.AUTOVACUUM, SCALE),
            new Setting("autovacuum_freeze_max_age", Group.AUTOVACUUM, new SettingRule.Int(100_000, 2_000_000_000)),
            new Setting("autovacuum_multixact_freeze_max_age", Group.AUTOVACUUM, new SettingRule.Int(10_000, 2_000_000_000)),
            new Setting("autovacuum_vacuum_cost_delay", Group.AUTOVACUUM, MS_OR_OFF),
            new Setting("autovacuum_vacuum_cost_limit", Group.AUTOVACUUM, new SettingRule.Int(-1, 10_000)),
            // vacuum
            new Setting("vacuum_cost_delay", Group.VACUUM, MS),
            new Setting("vacuum_cost_page_hit", Group.VACUUM, COST_UNITS),
            new Setting("vacuum_cost_page_miss", Group.VACUUM, COST_UNITS),
            new Setting("vacuum_cost_page_dirty", Group.VACUUM, COST_UNITS),
            new Setting("vacuum_cost_limit", Group.VACUUM, new SettingRule.Int(1, 10_000)),
            new Setting("vacuum_freeze_min_age", Group.VACUUM, new SettingRule.Int(0, 1_000_000_000)),
            new Setting("vacuum_freeze_table_age", Group.VACUUM, PLAIN_INT),
            new Setting("vacuum_multixact_freeze_min_age", Group.VACUUM, new SettingRule.Int(0, 1_000_000_000)),
            new Setting("vacuum_multixact_freeze_table_age", Group.VACUUM, PLAIN_INT),
            new Setting("vacuum_failsafe_age", Group.VACUUM, new SettingRule.Int(0, 2_100_000_000)),
            new Setting("vacuum_multixact_failsafe_age", Group.VACUUM, new SettingRule.Int(0, 2_100_000_000)),
            // statistics
            new Setting("track_io_timing", Group.STATISTICS, BOOL),
            new Setting("track_wal_io_timing", Group.STATISTICS, BOOL),
            new Setting("track_functions", Group.STATISTICS, choice("none", "pl", "all")));

    /** By lower-case name: Postgres setting names are case-insensitive. */
    private static final Map<String, Setting> BY_KEY = index();

    private TenantSettings() {}

    public static List<Setting> allowed() {
        return ALLOWED;
    }

    public static boolean isAllowed(String key) {
        return key != null && BY_KEY.containsKey(key.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * The settings as stored (keys lower-cased, values trimmed), or a 400 naming the first key that is not
     * tunable or whose value is refused. {@code field} is the request field, for the message.
     */
    public static Map<String, String> validate(Map<String, String> in, String field, SettingRule.Limits limits) {
        if (in == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : in.entrySet()) {
            String raw = e.getKey() == null ? "" : e.getKey();
            String key = raw.trim().toLowerCase(Locale.ROOT);
            Setting setting = BY_KEY.get(key);
            if (setting == null) {
                String shown = KEY.matcher(raw.trim()).matches() ? key : printable(raw);
                throw ApiException.invalid(field + " key '" + shown + "' is not a setting a project may change; see the"
                        + " README's \"Compute settings\" for the settings Oxbow accepts.");
            }
            String value = e.getValue() == null ? "" : e.getValue();
            String problem = valueProblem(setting, value, limits);
            if (problem != null) {
                throw ApiException.invalid(field + " value for '" + key + "' " + problem + ".");
            }
            out.put(key, value.trim());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Only the allowed keys of settings stored earlier (a project created before the allow-list): what a
     * config writer may pass on to postgresql.conf. Values that no longer pass are dropped too.
     */
    public static Map<String, String> allowedOnly(Map<String, String> stored, SettingRule.Limits limits, List<String> dropped) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : stored.entrySet()) {
            String key = e.getKey() == null ? "" : e.getKey().trim().toLowerCase(Locale.ROOT);
            Setting setting = BY_KEY.get(key);
            String value = e.getValue() == null ? "" : e.getValue();
            if (setting == null || valueProblem(setting, value, limits) != null) {
                dropped.add(printable(e.getKey() == null ? "" : e.getKey()));
            } else {
                out.put(key, value.trim());
            }
        }
        return out;
    }

    /** The README's table of allowed settings, grouped. */
    public static String readmeTable() {
        StringBuilder md = new StringBuilder("| group | setting | values |\n|---|---|---|\n");
        for (Setting s : ALLOWED) {
            md.append("| ").append(s.group().title).append(" | `").append(s.name()).append("` | ").append(s.rule().describe()).append(" |\n");
        }
        return md.toString();
    }

    private static String valueProblem(Setting setting, String value, SettingRule.Limits limits) {
        if (value.length() > MAX_VALUE_LENGTH) {
            return "is longer than " + MAX_VALUE_LENGTH + " characters";
        }
        // nothing that could end the quoted value or the line in postgresql.conf
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '\\')) {
            return "must not contain quotes, backslashes, newlines or other control characters";
        }
        return setting.rule().problem(value.trim(), limits);
    }

    /** A key as it can safely appear in a message or log line. */
    private static String printable(String raw) {
        String s = raw.length() > 64 ? raw.substring(0, 64) + "…" : raw;
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : Character.toString(c)));
        return out.toString();
    }

    private static Setting planner(String name) {
        return new Setting(name, Group.PLANNER, BOOL);
    }

    private static SettingRule choice(String... values) {
        return new SettingRule.Choice(List.of(values));
    }

    private static Map<String, Setting> index() {
        Map<String, Setting> byKey = new LinkedHashMap<>();
        for (Setting s : ALLOWED) {
            if (byKey.put(s.name().toLowerCase(Locale.ROOT), s) != null) {
                throw new IllegalStateException("listed twice: " + s.name());
            }
        }
        return Collections.unmodifiableMap(byKey);
    }
}
