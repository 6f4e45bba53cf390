package io.r1stream.jobs.deploy;

import io.r1stream.jobs.ChatJobOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MetricOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every key of flink-conf/config.yaml is a real Flink option (found by reflection over Flink's own ConfigOption
 * classes: everything in org.apache.flink.configuration plus the RocksDB and Prometheus reporter options), not a
 * deprecated name, and its value parses as that option's type; keys Flink does not know must be r1stream's
 * (r1stream.X, where --X is a chat job flag that accepts the value).
 */
class FlinkConfigKeysTest {
    /** key -> option, for every primary key; deprecated keys map to the option that replaced them. */
    static final Map<String, ConfigOption<?>> OPTIONS = new TreeMap<>();
    static final Map<String, ConfigOption<?>> DEPRECATED = new TreeMap<>();
    static Map<String, String> config;

    @BeforeAll
    static void collectOptions() throws Exception {
        for (String cls : classesOf(CoreOptions.class, "org/apache/flink/configuration/")) addOptionsOf(Class.forName(cls));
        addOptionsOf(org.apache.flink.state.rocksdb.RocksDBOptions.class);
        addOptionsOf(org.apache.flink.state.rocksdb.RocksDBConfigurableOptions.class);
        config = flatYaml(DeployFiles.repoRoot().resolve("flink-conf/config.yaml"));
    }

    @Test
    void everyKeyIsAFlinkOptionOrADocumentedR1streamOption() throws Exception {
        assertThat(OPTIONS).as("options found by reflection").hasSizeGreaterThan(500).containsKeys(
                "state.backend.type", "execution.checkpointing.incremental", "restart-strategy.type",
                "state.backend.rocksdb.localdir", "classloader.parent-first-patterns.additional");
        List<String> problems = new ArrayList<>();
        for (var e : config.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key.startsWith("r1stream.")) {
                checkR1streamOption(key, value, problems);
            } else if (key.startsWith("metrics.reporter.")) {
                checkReporterOption(key, value, problems);
            } else if (OPTIONS.containsKey(key)) {
                checkValue(OPTIONS.get(key), key, value, problems);
            } else if (DEPRECATED.containsKey(key)) {
                problems.add(key + " is a deprecated name: use " + DEPRECATED.get(key).key());
            } else {
                problems.add(key + " is not a Flink 2.2 option (nor r1stream.*): check its name in Flink's configuration docs");
            }
        }
        assertThat(problems).as("config.yaml keys").isEmpty();
    }

    @Test
    void holdsWhatAClusterRunningTheChatJobNeeds() {
        assertThat(config).containsEntry("state.backend.type", "rocksdb")
                .containsEntry("execution.checkpointing.incremental", "true")
                .containsEntry("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
                .containsEntry("classloader.parent-first-patterns.additional", "ai.djl")
                .containsEntry("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                .containsKeys("execution.checkpointing.interval", "execution.checkpointing.timeout", "restart-strategy.type",
                        "metrics.reporter.prom.port", "r1stream.model", "r1stream.kv-budget-mib", "r1stream.delivery");
        // the reporter factory named in the config exists on a cluster that has flink-metrics-prometheus
        assertThat(config.get("env.java.opts.all")).contains("jdk.incubator.vector").contains("-Dai.djl.offline=true");
    }

    /** r1stream.X must be the chat job's --X flag, and the job must accept the value. */
    private static void checkR1streamOption(String key, String value, List<String> problems) {
        String flag = key.substring("r1stream.".length());
        List<String> args = new ArrayList<>(List.of("--model", "/models/current"));
        if (!flag.equals("model")) args.addAll(List.of("--" + flag, value));
        else args.set(1, value);
        try {
            ChatJobOptions.fromArgs(args.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            problems.add(key + ": " + value + " is not accepted as the chat job's --" + flag + ": " + e.getMessage());
        }
    }

    /** metrics.reporter.NAME.SUFFIX: SUFFIX is a reporter option of MetricOptions or of the Prometheus reporter. */
    private static void checkReporterOption(String key, String value, List<String> problems) throws Exception {
        Matcher m = Pattern.compile("metrics\\.reporter\\.([^.]+)\\.(.+)").matcher(key);
        if (!m.matches()) {
            problems.add(key + " is not metrics.reporter.<name>.<option>");
            return;
        }
        String suffix = m.group(2);
        for (Field f : MetricOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.get(null) instanceof ConfigOption<?> o && o.key().equals(suffix)) {
                checkValue(o, key, value, problems);
                return;
            }
        }
        if (suffix.equals("factory.class")) {
            try {
                Class.forName(value);
            } catch (ClassNotFoundException e) {
                problems.add(key + ": no class " + value);
            }
            return;
        }
        // the Prometheus reporter reads its own arguments by name (PrometheusReporterFactory.ARG_PORT = "port")
        for (Field f : org.apache.flink.metrics.prometheus.PrometheusReporterFactory.class.getDeclaredFields()) {
            f.setAccessible(true);
            if (Modifier.isStatic(f.getModifiers()) && suffix.equals(f.get(null))) return;
        }
        problems.add(key + ": " + suffix + " is neither a reporter option of MetricOptions nor a Prometheus reporter argument");
    }

    private static void checkValue(ConfigOption<?> option, String key, String value, List<String> problems) {
        Configuration c = new Configuration();
        c.setString(key, value);
        try {
            c.get(option);
        } catch (RuntimeException e) {
            problems.add(key + ": " + value + " does not parse as its type: " + e.getMessage());
        }
    }

    private static void addOptionsOf(Class<?> c) throws IllegalAccessException {
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) continue;
            ConfigOption<?> o = (ConfigOption<?>) f.get(null);
            if (f.isAnnotationPresent(Deprecated.class)) DEPRECATED.put(o.key(), o);
            else OPTIONS.put(o.key(), o);
            for (FallbackKey k : o.fallbackKeys()) {
                if (k.isDeprecated()) DEPRECATED.put(k.getKey(), o);
                else OPTIONS.putIfAbsent(k.getKey(), o);
            }
        }
    }

    /** Names of the top-level classes in the jar (or folder) holding {@code anchor}, under {@code packagePath}. */
    private static List<String> classesOf(Class<?> anchor, String packagePath) throws IOException, URISyntaxException {
        Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names = new ArrayList<>();
        try (JarFile jar = new JarFile(location.toFile())) {
            jar.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith(packagePath) && n.endsWith(".class") && !n.contains("$")
                            && n.indexOf('/', packagePath.length()) < 0)
                    .forEach(n -> names.add(n.substring(0, n.length() - 6).replace('/', '.')));
        }
        return names;
    }

    /** config.yaml as Flink 2 reads it here: flat "key: value" lines (nested YAML is refused, to keep it greppable). */
    static Map<String, String> flatYaml(Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            int colon = t.indexOf(": ");
            assertThat(colon).as(file + ":" + n + " is not 'key: value': " + line).isPositive();
            assertThat(line).as(file + ":" + n + " is indented (keep config.yaml flat)").doesNotStartWith(" ");
            String key = t.substring(0, colon);
            assertThat(out).as(file + ":" + n + " repeats " + key).doesNotContainKey(key);
            out.put(key, t.substring(colon + 2).strip());
        }
        // and it is valid YAML that gives the same flat map
        var parsed = DeployFiles.YAML.readTree(file.toFile());
        assertThat(parsed.size()).as("YAML keys of " + file).isEqualTo(out.size());
        return out;
    }
}
