package io.r1stream.cli;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.RecordJson;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/** The client side of the chat job for local commands: write prompt records, read results read_committed. */
final class ResultsTopics {
    private ResultsTopics() {}

    /** A prompt record as producers write it (see the README's record formats). */
    static String prompt(String requestId, String conversationId, String message, int maxTokens, long seed) {
        return String.format("{\"request_id\":%s,\"conversation_id\":%s,\"message\":%s,\"max_tokens\":%d,\"temperature\":0.6,"
                        + "\"top_p\":0.95,\"top_k\":0,\"seed\":%d}", RecordJson.toJson(requestId), RecordJson.toJson(conversationId),
                RecordJson.toJson(message), maxTokens, seed);
    }

    /** Sends (key, value) records to a topic, then waits for every acknowledgement. */
    static void send(String bootstrap, String topic, List<String[]> keyValues) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            // all sent before any acknowledgement is awaited: prompts produced together arrive together
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (String[] kv : keyValues) {
                byte[] key = kv[0] == null ? null : kv[0].getBytes(StandardCharsets.UTF_8);
                acks.add(producer.send(new ProducerRecord<>(topic, key, kv[1].getBytes(StandardCharsets.UTF_8))));
            }
            for (java.util.concurrent.Future<?> a : acks) a.get();
        }
    }

    /**
     * Reads {@code results} (and prints dead letters from {@code prompts.dlq}) with read_committed until
     * {@code expected} results arrived or the timeout passed; each result goes to {@code onResult} as it arrives.
     */
    static List<ChatResult> read(String bootstrap, int expected, Duration timeout, Consumer<ChatResult> onResult,
                                 Consumer<String> onDeadLetter) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", "r1stream-cli-reader-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        List<ChatResult> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("results", "prompts.dlq"));
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals("prompts.dlq")) {
                        onDeadLetter.accept(new String(r.value(), StandardCharsets.UTF_8));
                        continue;
                    }
                    ChatResult c = RecordJson.fromBytes(r.value(), ChatResult.class);
                    out.add(c);
                    onResult.accept(c);
                }
            }
        }
        return out;
    }
}
