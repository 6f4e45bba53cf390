package io.r1stream.connectors.records;

import io.r1stream.connectors.kafka.JsonRecordSerializationSchema;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ChatDeltaTest {

    @Test
    void jsonHasTheWireNamesAndRoundTrips() {
        ChatDelta d = new ChatDelta("r-1", "c-7", 2, 0, 1796012345678L, "Okay", "", false, null);
        String json = RecordJson.toJson(d);
        assertThat(json).isEqualTo("{\"request_id\":\"r-1\",\"conversation_id\":\"c-7\",\"turn\":2,\"seq\":0,"
                + "\"attempt\":1796012345678,\"reasoning_content\":\"Okay\",\"content\":\"\",\"final\":false}");
        ChatDelta last = new ChatDelta("r-1", "c-7", 2, 9, 1796012345678L, null, " state.", true, "stop");
        assertThat(RecordJson.fromJson(RecordJson.toJson(last), ChatDelta.class)).isEqualTo(
                new ChatDelta("r-1", "c-7", 2, 9, 1796012345678L, "", " state.", true, "stop"));
    }

    @Test
    void flinkHandlesItAsAPojoWithoutKryo() throws Exception {
        TypeInformation<ChatDelta> info = TypeInformation.of(ChatDelta.class);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<ChatDelta> serializer = info.createSerializer(config);
        ChatDelta d = new ChatDelta("r", "c", 1, 2, 3L, "a", "b", true, null);
        DataOutputSerializer out = new DataOutputSerializer(128);
        serializer.serialize(d, out);
        assertThat(serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()))).isEqualTo(d);
    }

    @Test
    void kafkaRecordsAreKeyedByConversation() {
        ProducerRecord<byte[], byte[]> r = JsonRecordSerializationSchema.chatDeltas("deltas")
                .serialize(new ChatDelta("r-1", "c-7", 1, 3, 5, "", "x", false, null), null, 42L);
        assertThat(r.topic()).isEqualTo("deltas");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("c-7");
    }
}
