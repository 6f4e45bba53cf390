package io.r1stream.connectors.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A real KRaft broker in the test JVM: fixed and free ports, topics, transactions. */
class LocalKafkaBrokerTest {

    @TempDir
    Path tmp;

    /**
     * The fixed-port path used by {@code r1stream kafka --port 9092}: clients reach the broker on exactly
     * that port, and a transactional producer's aborted records stay invisible to read_committed.
     */
    @Test
    void fixedPortTransactionsAreReadCommitted() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(port, tmp.resolve("kafka"))) {
            assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
            assertThat(kafka.port()).isEqualTo(port);
            kafka.createTopics(Map.of("prompts", 3, "results", 2));

            Map<String, Object> producerConfig = kafka.clientConfig();
            producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "local-broker-test");
            producerConfig.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
            try (KafkaProducer<String, String> producer =
                         new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>("results", "c" + i, "committed-" + i)).get();
                }
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("results", "c9", "aborted")).get();
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("results", "c0", "committed-3")).get();
                producer.commitTransaction();
            }

            Map<String, Object> consumerConfig = kafka.clientConfig();
            consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "local-broker-test");
            consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer =
                         new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("results"));
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (values.size() < 4 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        values.add(record.value());
                    }
                }
                // anything after the last commit would have arrived by now too
                consumer.poll(Duration.ofMillis(300)).forEach(r -> values.add(r.value()));
            }
            assertThat(values).containsExactlyInAnyOrder("committed-0", "committed-1", "committed-2", "committed-3");
        }
        assertThat(tmp.resolve("kafka")).doesNotExist();
    }

    @Test
    void portZeroPicksAFreePortAndTopicsGetLeaders() throws Exception {
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"))) {
            assertThat(kafka.port()).isPositive();
            assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + kafka.port());

            kafka.createTopics(Map.of("prompts", 4, "prompts.dlq", 1));
            kafka.createTopics(Map.of("prompts", 4)); // again: an existing topic with the same count is fine
            assertThatThrownBy(() -> kafka.createTopics(Map.of("prompts", 2)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("topic 'prompts' already exists with 4 partitions, not 2");

            try (Admin admin = Admin.create(kafka.clientConfig())) {
                Map<String, TopicDescription> topics =
                        admin.describeTopics(Set.of("prompts", "prompts.dlq")).allTopicNames().get();
                assertThat(topics.get("prompts").partitions()).hasSize(4)
                        .allSatisfy(p -> assertThat(p.leader().isEmpty()).isFalse());
                assertThat(topics.get("prompts.dlq").partitions()).hasSize(1);
            }
        }
    }

    @Test
    void rejectsANonEmptyDataDirAndABusyPort() throws Exception {
        Path used = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(used.resolve("keep.txt"), "precious");
        assertThatThrownBy(() -> LocalKafkaBroker.start(0, used))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not empty");
        assertThat(used.resolve("keep.txt")).exists();

        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getByName("localhost"))) {
            assertThatThrownBy(() -> LocalKafkaBroker.start(busy.getLocalPort(), tmp.resolve("kafka")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + busy.getLocalPort() + " on localhost is in use");
        }
        assertThatThrownBy(() -> LocalKafkaBroker.start(70000, tmp.resolve("kafka")))
                .hasMessageContaining("port 70000 is outside 0..65535");
    }
}
