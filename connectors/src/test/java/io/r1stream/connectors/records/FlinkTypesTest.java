package io.r1stream.connectors.records;

import io.r1stream.connectors.records.ChatResult.FinishReason;
import io.r1stream.connectors.records.ChatResult.KvSource;
import io.r1stream.connectors.records.DeadLetter.ErrorType;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The records that flow between Flink operators are POJO types (Flink 2.x record support) and
 * serialize without Kryo: generic types are disabled here, so a field that needed Kryo would fail.
 */
class FlinkTypesTest {

    private static <T> T roundTrip(Class<T> type, T value) throws Exception {
        TypeInformation<T> info = TypeInformation.of(type);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<T> serializer = info.createSerializer(config);
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        T copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(serializer.copy(value)).isEqualTo(value);
        return copy;
    }

    @Test
    void promptRequest() throws Exception {
        PromptRequest request = new PromptRequest("r", "c", "m", null, 5, 0.5, 0.9, 3, -1L, List.of("a", "b"));
        assertThat(roundTrip(PromptRequest.class, request)).isEqualTo(request);
    }

    @Test
    void chatResult() throws Exception {
        ChatResult result = new ChatResult("r", "c", 1, "x", null, FinishReason.CANCELLED,
                new ChatResult.Usage(1, 2, 3), new ChatResult.Latency(1, 2, 3), KvSource.STATE);
        assertThat(roundTrip(ChatResult.class, result)).isEqualTo(result);
    }

    @Test
    void deadLetter() throws Exception {
        DeadLetter letter = new DeadLetter(ErrorType.EMPTY, "e", "", false, false, "prompts", 0, 1, -1);
        assertThat(roundTrip(DeadLetter.class, letter)).isEqualTo(letter);
    }

    @Test
    void rawRecordWithNullKeyAndValue() throws Exception {
        RawRecord record = new RawRecord("prompts", 1, 2, 3, null, null);
        assertThat(roundTrip(RawRecord.class, record)).isEqualTo(record);
        RawRecord full = new RawRecord("prompts", 1, 2, 3, new byte[] {1}, new byte[] {2, 3});
        assertThat(roundTrip(RawRecord.class, full)).isEqualTo(full);
    }

    @Test
    void metricsWindow() throws Exception {
        MetricsWindow window = new MetricsWindow(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0.5, 12);
        assertThat(roundTrip(MetricsWindow.class, window)).isEqualTo(window);
    }

    @Test
    void documentsAndTheirSummaries() throws Exception {
        io.r1stream.connectors.documents.Document doc = io.r1stream.connectors.documents.Document.failed("d", "s", "empty");
        assertThat(roundTrip(io.r1stream.connectors.documents.Document.class, doc)).isEqualTo(doc);
        var summary = io.r1stream.connectors.documents.DocumentSummary.of("d", "s", "x", 2, 1, 10, 4, 1.5);
        assertThat(roundTrip(io.r1stream.connectors.documents.DocumentSummary.class, summary)).isEqualTo(summary);
    }
}
