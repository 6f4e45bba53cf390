package io.r1stream.sql.script;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.RecordJson;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's statement file ({@code sql/examples/kafka-chat.sql}) end to end, exactly as shipped: a real KRaft
 * broker in this JVM, the Kafka SQL connector with flink-json, Flink's MiniCluster, the tiny generated model.
 * One-off questions go through ML_PREDICT, multi-turn prompts through the conversation view.
 */
class KafkaChatSqlTest {
    @TempDir static Path tmp;
    static LocalKafkaBroker kafka;
    static Path model;

    @BeforeAll
    static void start() throws Exception {
        kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"));
        model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("model"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) kafka.close();
    }

    @Test
    void theExampleFileAnswersQuestionsAndConversationsFromKafka() throws Exception {
        kafka.createTopics(Map.of("questions", 1, "answers", 1, "prompts", 1, "results", 1));
        produce("questions", List.of(
                new String[] {"q-1", "{\"id\":\"q-1\",\"prompt\":\"What is Flink?\"}"},
                new String[] {"q-2", "{\"id\":\"q-2\",\"prompt\":\"And Kafka?\"}"},
                new String[] {"q-3", "{\"id\":\"q-3\",\"prompt\":\"\"}"}));
        produce("prompts", List.of(
                new String[] {"c-1", prompt("r-1", "c-1", "Hello, who are you?")},
                new String[] {"c-2", prompt("r-2", "c-2", "Tell me about streams")},
                new String[] {"c-1", prompt("r-3", "c-1", "And what can you do?")},
                new String[] {"c-2", "{\"request_id\":\"r-4\",\"conversation_id\":\"c-2\",\"message\":\"\"}"}));

        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(StreamExecutionEnvironment.createLocalEnvironment(1, conf));
        String script = Files.readString(Path.of("examples/kafka-chat.sql"));
        TableResult job = new SqlScriptRunner(tEnv, new PrintStream(java.io.OutputStream.nullOutputStream()))
                .run(script, Map.of("bootstrap", kafka.bootstrapServers(), "model", model.toString(), "max_tokens", "8"))
                .orElseThrow();
        try {
            List<JsonNode> answers = await("answers", got -> got.size() >= 3);
            Map<String, JsonNode> byId = index(answers, "id");
            assertThat(byId).containsOnlyKeys("q-1", "q-2", "q-3");
            for (String ok : List.of("q-1", "q-2")) {
                assertThat(byId.get(ok).get("finish_reason").asText()).isIn("stop", "length");
                assertThat(byId.get(ok).get("completion_tokens").asInt()).isBetween(1, 8);
                assertThat(byId.get(ok).get("error").isNull()).isTrue();
            }
            assertThat(byId.get("q-3").get("finish_reason").asText()).isEqualTo("error");
            assertThat(byId.get("q-3").get("error").asText()).contains("prompt is blank");

            List<JsonNode> results = await("results", got -> got.size() >= 4);
            Map<String, JsonNode> byRequest = index(results, "request_id");
            assertThat(byRequest).containsOnlyKeys("r-1", "r-2", "r-3", "r-4");
            assertThat(byRequest.get("r-1").get("turn").asInt()).isEqualTo(1);
            assertThat(byRequest.get("r-3").get("turn").asInt()).isEqualTo(2);
            // turn 2 reused the KV of turn 1's prompt: the conversation operator kept the conversation
            assertThat(byRequest.get("r-3").get("cached_tokens").asInt()).isPositive();
            assertThat(byRequest.get("r-3").get("kv_source").asText()).isEqualTo("engine");
            assertThat(byRequest.get("r-3").get("prompt_tokens").asInt())
                    .isGreaterThan(byRequest.get("r-1").get("prompt_tokens").asInt());
            assertThat(byRequest.get("r-4").get("finish_reason").asText()).isEqualTo("error");
            assertThat(byRequest.get("r-4").get("conversation_id").asText()).isEqualTo("c-2");
            assertThat(byRequest.get("r-4").get("error").asText()).contains("message");
        } finally {
            job.getJobClient().orElseThrow().cancel().get();
        }
    }

    static String prompt(String requestId, String conversationId, String message) {
        return "{\"request_id\":\"" + requestId + "\",\"conversation_id\":\"" + conversationId + "\",\"message\":\"" + message
                + "\",\"max_tokens\":8}";
    }

    static void produce(String topic, List<String[]> keyValues) throws Exception {
        Map<String, Object> c = kafka.clientConfig();
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> p = new KafkaProducer<>(c)) {
            for (String[] kv : keyValues) p.send(new ProducerRecord<>(topic, kv[0], kv[1])).get();
        }
    }

    static Map<String, JsonNode> index(List<JsonNode> records, String field) {
        Map<String, JsonNode> out = new HashMap<>();
        for (JsonNode n : records) assertThat(out.put(n.get(field).asText(), n)).as("one record per " + field).isNull();
        return out;
    }

    /** Reads the topic from the beginning until {@code done} holds, or fails after 60 s. */
    static List<JsonNode> await(String topic, Predicate<List<JsonNode>> done) throws Exception {
        Map<String, Object> c = kafka.clientConfig();
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<JsonNode> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!done.test(got)) {
                if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting on topic " + topic + "; it holds " + got);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) got.add(RecordJson.mapper().readTree(r.value()));
            }
        }
        return got;
    }
}
