package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.RecordJson;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Produces prompts and reads topics (read_committed, from the beginning) for the end-to-end tests. */
final class KafkaTestClient {
    private KafkaTestClient() {}

    static void produce(LocalKafkaBroker kafka, String topic, List<String[]> keyValues) throws Exception {
        Map<String, Object> c = kafka.clientConfig();
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> p = new KafkaProducer<>(c)) {
            for (String[] kv : keyValues) p.send(new ProducerRecord<>(topic, kv[0], kv[1])).get();
        }
    }

    static String prompt(String requestId, String conversationId, String message) {
        return "{\"request_id\":\"" + requestId + "\",\"conversation_id\":\"" + conversationId + "\",\"message\":\""
                + message + "\",\"max_tokens\":8,\"temperature\":0,\"seed\":7}";
    }

    /** Every committed record of the topic, in partition-offset order. */
    static List<byte[]> readAll(LocalKafkaBroker kafka, String topic) {
        Map<String, Object> c = kafka.clientConfig();
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<byte[]> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic)) parts.add(new TopicPartition(topic, p.partition()));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) out.add(r.value());
            }
        }
        return out;
    }

    static <T> List<T> read(LocalKafkaBroker kafka, String topic, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (byte[] v : readAll(kafka, topic)) out.add(RecordJson.fromBytes(v, type));
        return out;
    }

    /** Polls the topic until {@code done} holds for what it holds, or fails after {@code timeout}. */
    static <T> List<T> awaitRecords(LocalKafkaBroker kafka, String topic, Class<T> type, Predicate<List<T>> done,
                                    Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<T> got = read(kafka, topic, type);
            if (done.test(got)) return got;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting on topic " + topic + "; it holds " + got);
            }
            Thread.sleep(250);
        }
    }
}
