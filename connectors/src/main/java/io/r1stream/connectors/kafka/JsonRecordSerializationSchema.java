package io.r1stream.connectors.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.r1stream.connectors.records.ChatDelta;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.MetricsWindow;
import io.r1stream.connectors.records.RecordJson;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Writes records as JSON values (see {@link RecordJson}) to one topic, with an optional UTF-8 key.
 * Use the factories for r1stream's own records:
 * {@link #chatResults} (key {@code conversation_id}, so a conversation's answers keep their order),
 * {@link #deadLetters} and {@link #metrics} (no key: spread by the producer's partitioner).
 *
 * @param <T> the record type; must be writable by Jackson
 */
public final class JsonRecordSerializationSchema<T> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final SerializableFunction<T, String> keyOf; // null: no key
    private transient ObjectMapper mapper;

    /**
     * @param topic the topic every record goes to
     * @param keyOf the record's key as a string (UTF-8 encoded), or {@code null} for records without a key
     */
    public JsonRecordSerializationSchema(String topic, SerializableFunction<T, String> keyOf) {
        this.topic = KafkaTopology.requireTopic(topic, "topic");
        this.keyOf = keyOf;
    }

    /** {@link ChatResult}s, keyed by {@code conversation_id}. */
    public static JsonRecordSerializationSchema<ChatResult> chatResults(String topic) {
        return new JsonRecordSerializationSchema<>(topic, ChatResult::conversationId);
    }

    /** {@link ChatDelta}s, keyed by {@code conversation_id} (a conversation's deltas keep their order). */
    public static JsonRecordSerializationSchema<ChatDelta> chatDeltas(String topic) {
        return new JsonRecordSerializationSchema<>(topic, ChatDelta::conversationId);
    }

    /** {@link DeadLetter}s, without a key. */
    public static JsonRecordSerializationSchema<DeadLetter> deadLetters(String topic) {
        return new JsonRecordSerializationSchema<>(topic, null);
    }

    /** {@link MetricsWindow}s, without a key. */
    public static JsonRecordSerializationSchema<MetricsWindow> metrics(String topic) {
        return new JsonRecordSerializationSchema<>(topic, null);
    }

    /** The topic records go to. */
    public String topic() {
        return topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        mapper = RecordJson.newMapper();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        Objects.requireNonNull(element, "element");
        if (mapper == null) { // open() is not called when used outside a sink, e.g. in tests
            mapper = RecordJson.newMapper();
        }
        byte[] value;
        try {
            value = mapper.writeValueAsBytes(element);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + element.getClass().getSimpleName() + " as JSON", e);
        }
        String key = keyOf == null ? null : keyOf.apply(element);
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, timestamp, keyBytes, value);
    }
}
