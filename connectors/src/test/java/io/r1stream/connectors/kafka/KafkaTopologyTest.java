package io.r1stream.connectors.kafka;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.ChatResult.FinishReason;
import io.r1stream.connectors.records.ChatResult.KvSource;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.MetricsWindow;
import io.r1stream.connectors.records.RawRecord;
import io.r1stream.connectors.records.RecordJson;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Factory argument checks and the (de)serialization schemas, without a broker. */
class KafkaTopologyTest {

    private static final String BOOTSTRAP = "localhost:9092";

    @Test
    void buildsSourceAndSinks() {
        assertThat(KafkaTopology.promptSource(BOOTSTRAP, "prompts", "g", OffsetsInitializer.earliest())
                .getProducedType()).isEqualTo(TypeInformation.of(RawRecord.class));
        assertThat(KafkaTopology.resultSink(BOOTSTRAP, "results", DeliveryGuarantee.EXACTLY_ONCE, "r1-results"))
                .isNotNull();
        assertThat(KafkaTopology.deadLetterSink(BOOTSTRAP, "prompts.dlq", DeliveryGuarantee.AT_LEAST_ONCE, null))
                .isNotNull();
        assertThat(KafkaTopology.metricsSink("a:1,b:2", "metrics", DeliveryGuarantee.EXACTLY_ONCE, "r1-metrics"))
                .isNotNull();
    }

    @Test
    void rejectsBadArgumentsWithTheFix() {
        assertThatThrownBy(() -> KafkaTopology.promptSource("localhost", "prompts", "g", OffsetsInitializer.earliest()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bootstrap server 'localhost' in 'localhost' has no host or no port; "
                        + "use host:port[,host:port...], e.g. \"localhost:9092\"");
        assertThatThrownBy(() -> KafkaTopology.promptSource("h:99999", "prompts", "g", OffsetsInitializer.earliest()))
                .hasMessageContaining("has port 99999, outside 1..65535");
        assertThatThrownBy(() -> KafkaTopology.promptSource(" ", "prompts", "g", OffsetsInitializer.earliest()))
                .hasMessageStartingWith("bootstrapServers is blank; use host:port");
        assertThatThrownBy(() -> KafkaTopology.promptSource(BOOTSTRAP, "bad topic!", "g", OffsetsInitializer.earliest()))
                .hasMessageStartingWith("topic 'bad topic!' is not a valid Kafka topic name");
        assertThatThrownBy(() -> KafkaTopology.promptSource(BOOTSTRAP, "prompts", "", OffsetsInitializer.earliest()))
                .hasMessageStartingWith("groupId is blank; pass a consumer group id");
        assertThatThrownBy(() -> KafkaTopology.promptSource(BOOTSTRAP, "prompts", "g", null))
                .hasMessageStartingWith("startingOffsets is null; pass e.g. OffsetsInitializer.earliest()");
        assertThatThrownBy(() -> KafkaTopology.resultSink(BOOTSTRAP, "results", DeliveryGuarantee.EXACTLY_ONCE, " "))
                .hasMessageStartingWith("transactionalIdPrefix is blank; EXACTLY_ONCE needs a transactional id prefix");
        assertThatThrownBy(() -> KafkaTopology.resultSink(BOOTSTRAP, "results", DeliveryGuarantee.NONE, "p"))
                .hasMessageStartingWith("delivery guarantee NONE is not supported; use EXACTLY_ONCE");
        assertThatThrownBy(() -> KafkaTopology.sink(BOOTSTRAP, JsonRecordSerializationSchema.metrics("metrics"),
                DeliveryGuarantee.EXACTLY_ONCE, "p", Duration.ofHours(1000)))
                .hasMessageContaining("transactionTimeout PT1000H is out of range");
        assertThatThrownBy(() -> KafkaTopology.startingOffsets("newest"))
                .hasMessage("unknown starting offsets 'newest'; use earliest, latest or committed");
        assertThat(KafkaTopology.startingOffsets("Committed")).isNotNull();
    }

    @Test
    void chatResultsAreKeyedByConversation() {
        ChatResult result = new ChatResult("r-1", "c-7", 1, "hi", null, FinishReason.STOP,
                new ChatResult.Usage(1, 1, 0), new ChatResult.Latency(1, 2, 3), KvSource.NONE);
        ProducerRecord<byte[], byte[]> record =
                JsonRecordSerializationSchema.chatResults("results").serialize(result, null, 123L);
        assertThat(record.topic()).isEqualTo("results");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("c-7");
        assertThat(record.timestamp()).isEqualTo(123L);
        assertThat(RecordJson.fromBytes(record.value(), ChatResult.class)).isEqualTo(result);
    }

    @Test
    void deadLettersAndMetricsHaveNoKey() {
        DeadLetter letter = new DeadLetter(DeadLetter.ErrorType.EMPTY, "e", "", false, false, "prompts", 0, 1, 2);
        ProducerRecord<byte[], byte[]> record =
                JsonRecordSerializationSchema.deadLetters("prompts.dlq").serialize(letter, null, null);
        assertThat(record.key()).isNull();
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).contains("\"error_type\":\"empty\"");
        MetricsWindow window = new MetricsWindow(1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(JsonRecordSerializationSchema.metrics("metrics").serialize(window, null, null).key()).isNull();
    }

    @Test
    void rawRecordsKeepTheirOrigin() throws Exception {
        List<RawRecord> out = new ArrayList<>();
        new RawRecordDeserializationSchema().deserialize(
                new ConsumerRecord<>("prompts", 3, 99L, new byte[] {1}, new byte[] {2}), new Collector<>() {
                    @Override
                    public void collect(RawRecord record) {
                        out.add(record);
                    }

                    @Override
                    public void close() {}
                });
        // a ConsumerRecord built without a timestamp has none: -1
        assertThat(out).containsExactly(new RawRecord("prompts", 3, 99L, -1, new byte[] {1}, new byte[] {2}));
    }
}
