package io.r1stream.connectors.kafka;

import io.r1stream.connectors.records.ChatDelta;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.MetricsWindow;
import io.r1stream.connectors.records.RawRecord;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;

import java.time.Duration;
import java.util.Locale;
import java.util.Properties;

/**
 * The Kafka source and sinks of the chat job, configured one way everywhere:
 *
 * <pre>{@code
 * KafkaSource<RawRecord> source = KafkaTopology.promptSource(
 *         "localhost:9092", "prompts", "r1stream-chat", KafkaTopology.startingOffsets("earliest"));
 * KafkaSink<ChatResult> results = KafkaTopology.resultSink(
 *         "localhost:9092", "results", DeliveryGuarantee.EXACTLY_ONCE, "r1stream-chat-results");
 * }</pre>
 *
 * <p>Exactly-once sinks write in Kafka transactions committed when a checkpoint completes, so a
 * {@code read_committed} consumer sees a result up to one checkpoint interval later; at-least-once
 * sinks write at once and may repeat output after a failure (deduplicate by {@code request_id}).
 * The source reads {@code read_committed}, so prompts produced in aborted transactions are skipped.
 */
public final class KafkaTopology {

    /**
     * {@code transaction.timeout.ms} of exactly-once sinks: the broker's default cap
     * ({@code transaction.max.timeout.ms}, 15 min). A transaction opens at the first write after a checkpoint
     * and commits after the next checkpoint completes, so it must outlive the slowest checkpoint plus a restart;
     * shorter values let the broker abort it, and the committer then drops answers a checkpoint recorded.
     */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    private KafkaTopology() {}

    // ---------------------------------------------------------------------------------------------
    // source

    /**
     * Reads {@code topic} as {@link RawRecord}s (parse them with {@code ParsePrompts}).
     *
     * @param bootstrapServers {@code host:port[,host:port...]}
     * @param topic            the prompts topic
     * @param groupId          consumer group; offsets are committed to it on checkpoints (for monitoring
     *                         lag; recovery uses the offsets in the checkpoint)
     * @param startingOffsets  where to start without a checkpoint, e.g. {@link #startingOffsets(String)}
     */
    public static KafkaSource<RawRecord> promptSource(String bootstrapServers, String topic, String groupId,
                                                      OffsetsInitializer startingOffsets) {
        return promptSource(bootstrapServers, topic, groupId, startingOffsets, new Properties());
    }

    /**
     * As above, with client properties set first (security: {@code security.protocol}, {@code sasl.*},
     * {@code ssl.*}; {@code client.id}...). r1stream's own settings (isolation level, deserializer) win.
     */
    public static KafkaSource<RawRecord> promptSource(String bootstrapServers, String topic, String groupId,
                                                      OffsetsInitializer startingOffsets, Properties clientProperties) {
        requireBootstrapServers(bootstrapServers);
        requireTopic(topic, "topic");
        requireNonBlank(groupId, "groupId", "pass a consumer group id, e.g. \"r1stream-chat\"");
        if (startingOffsets == null) {
            throw new IllegalArgumentException("startingOffsets is null; pass e.g. OffsetsInitializer.earliest() "
                    + "or KafkaTopology.startingOffsets(\"committed\")");
        }
        return KafkaSource.<RawRecord>builder()
                .setProperties(copy(clientProperties))
                .setBootstrapServers(bootstrapServers)
                .setTopics(topic)
                .setGroupId(groupId)
                .setClientIdPrefix(groupId)
                .setStartingOffsets(startingOffsets)
                .setDeserializer(new RawRecordDeserializationSchema())
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .build();
    }

    /**
     * {@code earliest}, {@code latest}, or {@code committed} (the group's committed offsets, else earliest),
     * case-insensitive: the usual command-line spellings.
     */
    public static OffsetsInitializer startingOffsets(String name) {
        String value = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "earliest" -> OffsetsInitializer.earliest();
            case "latest" -> OffsetsInitializer.latest();
            case "committed" -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            default -> throw new IllegalArgumentException("unknown starting offsets '" + name
                    + "'; use earliest, latest or committed");
        };
    }

    // ---------------------------------------------------------------------------------------------
    // sinks

    /** {@link ChatResult}s to {@code topic}, keyed by {@code conversation_id}. See {@link #sink}. */
    public static KafkaSink<ChatResult> resultSink(String bootstrapServers, String topic,
                                                   DeliveryGuarantee guarantee, String transactionalIdPrefix) {
        return sink(bootstrapServers, JsonRecordSerializationSchema.chatResults(topic), guarantee,
                transactionalIdPrefix, DEFAULT_TRANSACTION_TIMEOUT);
    }

    /** {@link DeadLetter}s to {@code topic}. See {@link #sink}. */
    /**
     * The deltas sink: always at-least-once, outside the checkpoint's transaction, so a consumer sees tokens while
     * they are generated instead of after the next checkpoint; records are sent at once (no batching delay).
     */
    public static KafkaSink<ChatDelta> deltaSink(String bootstrapServers, String topic, Properties clientProperties) {
        requireBootstrapServers(bootstrapServers);
        return KafkaSink.<ChatDelta>builder()
                .setKafkaProducerConfig(copy(clientProperties))
                .setBootstrapServers(bootstrapServers)
                .setRecordSerializer(JsonRecordSerializationSchema.chatDeltas(topic))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setProperty(ProducerConfig.LINGER_MS_CONFIG, "0")
                .build();
    }

    public static KafkaSink<DeadLetter> deadLetterSink(String bootstrapServers, String topic,
                                                       DeliveryGuarantee guarantee, String transactionalIdPrefix) {
        return sink(bootstrapServers, JsonRecordSerializationSchema.deadLetters(topic), guarantee,
                transactionalIdPrefix, DEFAULT_TRANSACTION_TIMEOUT);
    }

    /** {@link MetricsWindow}s to {@code topic}. See {@link #sink}. */
    public static KafkaSink<MetricsWindow> metricsSink(String bootstrapServers, String topic,
                                                       DeliveryGuarantee guarantee, String transactionalIdPrefix) {
        return sink(bootstrapServers, JsonRecordSerializationSchema.metrics(topic), guarantee,
                transactionalIdPrefix, DEFAULT_TRANSACTION_TIMEOUT);
    }

    /**
     * A sink with r1stream's settings plus client properties (security, client ids; set first, so r1stream's
     * transactional settings win).
     */
    public static <T> KafkaSink<T> sink(String bootstrapServers, KafkaRecordSerializationSchema<T> serializer,
                                        DeliveryGuarantee guarantee, String transactionalIdPrefix,
                                        Duration transactionTimeout, Properties clientProperties) {
        return build(bootstrapServers, serializer, guarantee, transactionalIdPrefix, transactionTimeout, clientProperties);
    }

    /**
     * A sink with r1stream's settings.
     *
     * @param bootstrapServers      {@code host:port[,host:port...]}
     * @param serializer            turns records into Kafka records (topic, key, value)
     * @param guarantee             {@code EXACTLY_ONCE} or {@code AT_LEAST_ONCE}
     * @param transactionalIdPrefix for {@code EXACTLY_ONCE}: a prefix unique to this sink among all jobs on
     *                              the cluster and the same across restarts, so a restored job aborts the
     *                              transactions its predecessor left open. Ignored (may be null) for
     *                              {@code AT_LEAST_ONCE}.
     * @param transactionTimeout    {@code transaction.timeout.ms} for {@code EXACTLY_ONCE}: longer than the
     *                              checkpoint interval plus restart time, at most the broker's
     *                              {@code transaction.max.timeout.ms} (15 min by default)
     */
    public static <T> KafkaSink<T> sink(String bootstrapServers, KafkaRecordSerializationSchema<T> serializer,
                                        DeliveryGuarantee guarantee, String transactionalIdPrefix,
                                        Duration transactionTimeout) {
        return build(bootstrapServers, serializer, guarantee, transactionalIdPrefix, transactionTimeout, new Properties());
    }

    private static <T> KafkaSink<T> build(String bootstrapServers, KafkaRecordSerializationSchema<T> serializer,
                                          DeliveryGuarantee guarantee, String transactionalIdPrefix,
                                          Duration transactionTimeout, Properties clientProperties) {
        requireBootstrapServers(bootstrapServers);
        if (serializer == null) {
            throw new IllegalArgumentException("serializer is null; pass e.g. JsonRecordSerializationSchema.chatResults(topic)");
        }
        if (guarantee == null || guarantee == DeliveryGuarantee.NONE) {
            throw new IllegalArgumentException("delivery guarantee " + (guarantee == null ? "null" : guarantee.name())
                    + " is not supported; use EXACTLY_ONCE (results visible after each checkpoint) or "
                    + "AT_LEAST_ONCE (results visible at once, deduplicate by request_id)");
        }
        var builder = KafkaSink.<T>builder()
                .setKafkaProducerConfig(copy(clientProperties))
                .setBootstrapServers(bootstrapServers)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(guarantee);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            requireNonBlank(transactionalIdPrefix, "transactionalIdPrefix",
                    "EXACTLY_ONCE needs a transactional id prefix that is unique to this sink and stable across "
                            + "restarts, e.g. \"r1stream-chat-results\"");
            if (transactionTimeout == null || transactionTimeout.toMillis() < 1000
                    || transactionTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("transactionTimeout " + transactionTimeout
                        + " is out of range; use at least 1 s and at most the broker's transaction.max.timeout.ms "
                        + "(15 min by default), e.g. KafkaTopology.DEFAULT_TRANSACTION_TIMEOUT");
            }
            builder.setTransactionalIdPrefix(transactionalIdPrefix)
                    .setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                            Long.toString(transactionTimeout.toMillis()));
        }
        return builder.build();
    }

    private static Properties copy(Properties p) {
        Properties out = new Properties();
        if (p != null) out.putAll(p);
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // argument checks, shared with the serialization schemas

    static void requireBootstrapServers(String bootstrapServers) {
        String example = "use host:port[,host:port...], e.g. \"localhost:9092\"";
        requireNonBlank(bootstrapServers, "bootstrapServers", example);
        for (String server : bootstrapServers.split(",")) {
            String s = server.trim();
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("bootstrap server '" + s + "' in '" + bootstrapServers
                        + "' has no host or no port; " + example);
            }
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bootstrap server '" + s + "' has a port that is not a number; "
                        + example);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("bootstrap server '" + s + "' has port " + port
                        + ", outside 1..65535; " + example);
            }
        }
    }

    static String requireTopic(String topic, String name) {
        requireNonBlank(topic, name, "pass a Kafka topic name, e.g. \"results\"");
        try {
            Topic.validate(topic);
        } catch (InvalidTopicException e) {
            throw new IllegalArgumentException(name + " '" + topic + "' is not a valid Kafka topic name: "
                    + e.getMessage() + "; use letters, digits, '.', '_' and '-' (at most 249)");
        }
        return topic;
    }

    private static void requireNonBlank(String value, String name, String fix) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is " + (value == null ? "null" : "blank") + "; " + fix);
        }
    }
}
