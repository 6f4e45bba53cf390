package io.r1stream.jobs;

import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.GlobalConfiguration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.r1stream.connectors.kafka.JsonRecordSerializationSchema;
import io.r1stream.connectors.kafka.KafkaTopology;
import io.r1stream.connectors.prompt.ParsePrompts;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.MetricsWindow;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.operators.ConversationOperator;
import io.r1stream.operators.TurnDeltas;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingProcessingTimeWindows;

import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The streaming chat job: prompts from Kafka -> parse (bad records to the DLQ) -> keyBy(conversation_id) ->
 * {@link ConversationOperator} -> results to Kafka (transactional), plus a per-window {@link MetricsWindow}
 * aggregate to the metrics topic. See DESIGN.md, "The way a prompt travels".
 *
 * <pre>{@code
 * ChatJobOptions o = ChatJobOptions.fromArgs(args);
 * StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ChatJob.configuration(o));
 * ChatJob.build(env, o);
 * env.execute("r1stream-chat");
 * }</pre>
 */
public final class ChatJob {
    /** Fixed so that key groups stay put when the parallelism changes between restores. */
    public static final int MAX_PARALLELISM = 128;

    private ChatJob() {}

    public static void main(String[] args) throws Exception {
        ChatJobOptions options = ChatJobOptions.fromArgs(withClusterDefaults(args, clusterConfiguration()));
        DeliverySafety.checkBroker(options);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration(options));
        build(env, options);
        env.execute("r1stream-chat");
    }

    /** The cluster's config.yaml ($FLINK_CONF_DIR) when there is one, else empty (local runs). */
    static Map<String, String> clusterConfiguration() {
        String dir = System.getenv(ConfigConstants.ENV_FLINK_CONF_DIR);
        return dir == null ? Map.of() : GlobalConfiguration.loadConfiguration(dir).toMap();
    }

    /**
     * Command-line flags, preceded by the cluster config's {@code r1stream.X} keys as defaults for {@code --X}:
     * config.yaml sets site-wide defaults (model path, KV budget, delivery), and flags given to the job win.
     */
    static String[] withClusterDefaults(String[] args, Map<String, String> clusterConfig) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(clusterConfig).entrySet()) {
            if (!e.getKey().startsWith("r1stream.")) continue;
            String flag = "--" + e.getKey().substring("r1stream.".length());
            boolean given = Arrays.stream(args).anyMatch(a -> a.equals(flag) || a.startsWith(flag + "="));
            if (!given) out.addAll(List.of(flag, e.getValue()));
        }
        out.addAll(Arrays.asList(args));
        return out.toArray(String[]::new);
    }

    /**
     * The Flink configuration the job needs: RocksDB with incremental checkpoints, checkpoints retained on
     * cancellation, a fixed-delay restart strategy, the parallelism, and the state to resume from.
     */
    public static Configuration configuration(ChatJobOptions o) {
        Configuration c = new Configuration();
        c.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, o.checkpointInterval());
        c.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        // a slow model backs prompts up in front of the operator: unaligned barriers overtake them, so a
        // checkpoint (and the Kafka transaction waiting on it) does not wait for the backlog to be answered
        c.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, o.checkpointTimeout());
        c.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, o.tolerableFailedCheckpoints());
        c.set(CheckpointingOptions.ENABLE_UNALIGNED, o.unalignedCheckpoints());
        c.set(CheckpointingOptions.ALIGNED_CHECKPOINT_TIMEOUT, o.alignedCheckpointTimeout());
        c.set(TaskManagerOptions.BUFFER_DEBLOAT_ENABLED, o.bufferDebloat());
        if (o.checkpointDir() != null) {
            c.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, o.checkpointDir());
        }
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, o.restartAttempts());
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, o.restartDelay());
        c.set(CoreOptions.DEFAULT_PARALLELISM, o.parallelism());
        c.set(PipelineOptions.MAX_PARALLELISM, MAX_PARALLELISM);
        resumePath(o).ifPresent(p -> c.set(StateRecoveryOptions.SAVEPOINT_PATH, p));
        return c;
    }

    /** Where the job restores from: none, the newest retained checkpoint, or the given path. */
    public static Optional<String> resumePath(ChatJobOptions o) {
        String r = o.resume();
        if (r == null || r.equals("false")) return Optional.empty();
        if (r.equals("true")) return RetainedCheckpoints.latest(o.checkpointDir()).map(p -> p.toUri().toString());
        return Optional.of(r);
    }

    /** The job's streams, for callers that attach more (tests, the CLI). */
    public record Pipeline(SingleOutputStreamOperator<ChatResult> results, DataStream<DeadLetter> deadLetters,
                           DataStream<MetricsWindow> metrics) {}

    public static Pipeline build(StreamExecutionEnvironment env, ChatJobOptions o) {
        return build(env, o, UnaryOperator.identity());
    }

    /**
     * Adds the job to {@code env}.
     *
     * @param beforeResultSink applied to the results stream just before the results sink (identity in the job;
     *                         tests insert fault injection here)
     */
    public static Pipeline build(StreamExecutionEnvironment env, ChatJobOptions o,
                                 UnaryOperator<DataStream<ChatResult>> beforeResultSink) {
        SingleOutputStreamOperator<PromptRequest> prompts = env
                .fromSource(KafkaTopology.promptSource(o.bootstrapServers(), o.promptsTopic(), o.groupId(),
                        KafkaTopology.startingOffsets(o.startingOffsets()), o.kafkaProperties()),
                        WatermarkStrategy.noWatermarks(), "prompts")
                .uid("prompts-source")
                .process(new ParsePrompts(o.promptLimits()))
                .uid("parse-prompts").name("parse-prompts");

        SingleOutputStreamOperator<ChatResult> results = ConversationOperator.applyTo(
                prompts.keyBy(PromptRequest::conversationId, Types.STRING),
                o.engineFactory(), o.conversationOptions(), o.deltaOptions());
        results.uid("conversations").name("conversations");
        if (o.deltasTopic() != null) { // at-least-once, outside the checkpoint's transaction: tokens visible at once
            results.getSideOutput(TurnDeltas.DELTAS)
                    .sinkTo(KafkaTopology.deltaSink(o.bootstrapServers(), o.deltasTopic(), o.kafkaProperties()))
                    .uid("deltas-sink").name("deltas-sink");
        }

        DataStream<DeadLetter> deadLetters = prompts.getSideOutput(ParsePrompts.DEAD_LETTERS)
                .union(results.getSideOutput(ConversationOperator.DEAD_LETTERS));
        String prefix = o.transactionalIdPrefix();
        deadLetters.sinkTo(KafkaTopology.sink(o.bootstrapServers(), JsonRecordSerializationSchema.deadLetters(o.deadLetterTopic()),
                        o.delivery(), prefix + "-dlq", o.transactionTimeout(), o.kafkaProperties()))
                .uid("dlq-sink").name("dlq-sink");

        beforeResultSink.apply(results)
                .sinkTo(KafkaTopology.sink(o.bootstrapServers(), JsonRecordSerializationSchema.chatResults(o.resultsTopic()),
                        o.delivery(), prefix + "-results", o.transactionTimeout(), o.kafkaProperties()))
                .uid("results-sink").name("results-sink");

        DataStream<MetricsWindow> metrics = results
                .map(MetricSample::of, TypeInformation.of(MetricSample.class)).uid("result-samples").name("result-samples")
                .union(deadLetters.map(d -> MetricSample.deadLetterSample(), TypeInformation.of(MetricSample.class))
                        .uid("dlq-samples").name("dlq-samples"))
                .windowAll(TumblingProcessingTimeWindows.of(o.metricsWindow()))
                .process(new MetricsWindowFunction(), TypeInformation.of(MetricsWindow.class))
                .uid("metrics-window").name("metrics-window")
                .setParallelism(1).setMaxParallelism(1);
        // non-parallel in every run, so restoring at another parallelism finds the same max parallelism (1)
        metrics.sinkTo(KafkaTopology.sink(o.bootstrapServers(), JsonRecordSerializationSchema.metrics(o.metricsTopic()),
                o.delivery(), prefix + "-metrics", o.transactionTimeout(), o.kafkaProperties()))
                .uid("metrics-sink").name("metrics-sink").setParallelism(1).setMaxParallelism(1);
        return new Pipeline(results, deadLetters, metrics);
    }
}
