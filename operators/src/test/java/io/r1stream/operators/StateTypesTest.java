package io.r1stream.operators;

import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.kv.KvEncoding;
import io.r1stream.engine.tokenizer.ChatMessage;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The types the operator keeps in keyed state serialize as POJOs, without Kryo (generic types off). */
class StateTypesTest {

    private static <T> T roundTrip(Class<T> type, T value) throws Exception {
        TypeInformation<T> info = TypeInformation.of(type);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<T> serializer = info.createSerializer(config);
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    @Test
    void conversationState() throws Exception {
        ConversationState s = ConversationState.start("sys").append(
                new Turn(ChatMessage.Role.USER, "hi", new int[] {1, 2}),
                new Turn(ChatMessage.Role.ASSISTANT, "x</think>y", new int[] {3}));
        assertThat(roundTrip(ConversationState.class, s)).isEqualTo(s);
    }

    @Test
    void pendingTurn() throws Exception {
        PendingTurn t = new PendingTurn(new PromptRequest("r", "c", "m", null, 4, 0.6, 0.95, 0, 9L, List.of("x")), 123L);
        assertThat(roundTrip(PendingTurn.class, t)).isEqualTo(t);
    }

    @Test
    void kvChunk() throws Exception {
        KvChunk c = new KvChunk(KvChunk.FORMAT_VERSION, 42L, 2, 4, KvEncoding.FP16, 16, new int[] {5, 6}, new byte[] {1, 2, 3});
        assertThat(roundTrip(KvChunk.class, c)).isEqualTo(c);
    }
}
