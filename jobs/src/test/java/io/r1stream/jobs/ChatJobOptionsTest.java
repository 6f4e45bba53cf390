package io.r1stream.jobs;

import io.r1stream.connectors.records.MetricsWindow;
import io.r1stream.engine.EngineOptions;
import io.r1stream.operators.KvStateTier;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatJobOptionsTest {
    @TempDir Path tmp;

    @Test
    void defaultsAndFlags() {
        ChatJobOptions d = ChatJobOptions.fromArgs(new String[] {"--model", "m"});
        assertThat(d.delivery()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(d.checkpointInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.metricsWindow()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.kvTier()).isEqualTo(KvStateTier.OFF);
        assertThat(d.deadLetterTopic()).isEqualTo("prompts.dlq");

        ChatJobOptions o = ChatJobOptions.fromArgs(new String[] {"--model", "m", "--delivery", "at-least-once",
                "--kv-state-tier=every-turn", "--checkpoint-interval", "500ms", "--idle-ttl", "5min", "--parallelism", "3",
                "--threads", "2", "--kv-budget-mib", "64", "--bootstrap-servers", "k:9092"});
        assertThat(o.delivery()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(o.kvTier()).isEqualTo(KvStateTier.EVERY_TURN);
        assertThat(o.checkpointInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(o.idleTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(o.parallelism()).isEqualTo(3);
        assertThat(o.engine().threads()).isEqualTo(2);
        assertThat(o.engine().kvBudgetBytes()).isEqualTo(64 * EngineOptions.MIB);
        assertThat(o.bootstrapServers()).isEqualTo("k:9092");
    }

    @Test
    void errorsNameTheFix() {
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--threads", "1"})).hasMessageContaining("--model is required");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--colour", "red"}))
                .hasMessageContaining("unknown flag --colour").hasMessageContaining("--kv-state-tier");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--delivery", "maybe"}))
                .hasMessageContaining("exactly-once or at-least-once");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--resume", "true"}))
                .hasMessageContaining("--checkpoint-dir");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--idle-ttl", "soon"}))
                .hasMessageContaining("500ms, 10s");
    }

    @Test
    void configurationUsesRocksDbRetainedIncrementalCheckpointsAndResumesFromTheNewest() throws Exception {
        Path dir = tmp.resolve("ckpt");
        Files.createDirectories(dir.resolve("job-a/chk-3"));
        Files.writeString(dir.resolve("job-a/chk-3/_metadata"), "x");
        Files.createDirectories(dir.resolve("job-a/chk-4")); // in progress when killed: no _metadata
        ChatJobOptions o = ChatJobOptions.builder(Path.of("m")).checkpointDir(dir.toString()).resume("true").build();
        Configuration c = ChatJob.configuration(o);
        assertThat(c.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(c.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(c.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        assertThat(c.get(StateRecoveryOptions.SAVEPOINT_PATH)).endsWith("job-a/chk-3/");
    }

    @Test
    void metricsWindowPercentilesByNearestRank() {
        List<MetricSample> samples = List.of(new MetricSample(false, 10, 100, 4, 10, 5),
                new MetricSample(false, 30, 300, 4, 10, 0), new MetricSample(false, 20, 200, 4, 20, 5),
                MetricSample.deadLetterSample());
        MetricsWindow w = MetricsWindowFunction.aggregate(0, 2000, samples);
        assertThat(w.count()).isEqualTo(3);
        assertThat(w.dlqCount()).isEqualTo(1);
        assertThat(w.ttftP50()).isEqualTo(20);
        assertThat(w.e2eP99()).isEqualTo(300);
        assertThat(w.tokensPerSecond()).isEqualTo(6);
        assertThat(w.cacheHitRatio()).isEqualTo(0.25);
    }

    @Test
    void clusterConfigR1streamKeysAreDefaultsThatFlagsOverride() {
        String[] args = ChatJob.withClusterDefaults(new String[]{"--model", "/m", "--kv-budget-mib", "64"},
                java.util.Map.of("r1stream.kv-budget-mib", "512", "r1stream.delivery", "at-least-once", "state.backend.type", "rocksdb"));
        org.assertj.core.api.Assertions.assertThat(args).containsExactly("--delivery", "at-least-once", "--model", "/m", "--kv-budget-mib", "64");
    }

    @Test
    void kafkaPropertiesComeFromAFileAndRepeatableFlagsAndTheirValuesAreNeverPrinted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("kafka.properties");
        java.nio.file.Files.writeString(file, "security.protocol=SASL_SSL\nsasl.jaas.config=secret-from-file\nclient.id=from-file\n");
        ChatJobOptions o = ChatJobOptions.fromArgs(new String[] {"--model", dir.toString(), "--kafka-properties", file.toString(),
                "--kafka-property", "client.id=from-flag", "--kafka-property", "sasl.mechanism=PLAIN"});
        org.assertj.core.api.Assertions.assertThat(o.kafkaProperties())
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("client.id", "from-flag")
                .containsEntry("sasl.mechanism", "PLAIN").containsEntry("sasl.jaas.config", "secret-from-file");
        org.assertj.core.api.Assertions.assertThat(o.toString()).contains("sasl.jaas.config").doesNotContain("secret-from-file");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", dir.toString(),
                "--kafka-property", "novalue"})).hasMessageContaining("--kafka-property needs KEY=VALUE");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", dir.toString(),
                "--kafka-properties", dir.resolve("missing").toString()})).hasMessageContaining("cannot be read");
    }
}
