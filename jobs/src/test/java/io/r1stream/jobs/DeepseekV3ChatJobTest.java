package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.gen.DeepseekV3Generator;
import io.r1stream.engine.model.gen.DeepseekV3Size;
import io.r1stream.operators.KvStateTier;

import org.apache.flink.core.execution.JobClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.r1stream.jobs.KafkaTestClient.awaitRecords;
import static io.r1stream.jobs.KafkaTestClient.prompt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat job end to end on a tiny DeepseekV3 (MLA + MoE, FP8 checkpoint): real KRaft broker, MiniCluster,
 * RocksDB. Multi-turn conversations reuse the engine's latent cache; after a process-level restart from the
 * retained checkpoint, the next turns load their KV from keyed state — chunks of the compressed latent cache.
 */
class DeepseekV3ChatJobTest {
    @TempDir static Path tmp;
    static LocalKafkaBroker kafka;
    static Path model;

    @BeforeAll
    static void start() throws Exception {
        kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"));
        model = DeepseekV3Generator.create(new DeepseekV3Generator.Spec(DeepseekV3Size.TINY, TensorDtype.BF16, 32, true, true, 42, 1, false),
                tmp.resolve("dsv3"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) kafka.close();
    }

    @Test
    void multiTurnChatOnDeepseekV3ResumesFromARetainedCheckpointWithLatentKvFromState() throws Exception {
        ChatJobOptions one = ChatJobEndToEndTest.options(kafka, model, tmp, "dsv3", 1).toBuilder().kvTier(KvStateTier.EVERY_TURN).build();
        List<String[]> turns12 = new ArrayList<>();
        List<String[]> turn3 = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            turns12.add(new String[] {"d" + c, prompt("d" + c + "-1", "d" + c, "what is " + c)});
            turns12.add(new String[] {"d" + c, prompt("d" + c + "-2", "d" + c, "tell me more")});
            turn3.add(new String[] {"d" + c, prompt("d" + c + "-3", "d" + c, "why")});
        }
        KafkaTestClient.produce(kafka, "dsv3.prompts", turns12);
        JobClient first = ChatJobEndToEndTest.start(one, s -> s);
        try {
            List<ChatResult> results = awaitRecords(kafka, "dsv3.results", ChatResult.class, l -> l.size() >= 6, Duration.ofSeconds(90));
            for (int c = 0; c < 3; c++) {
                String conv = "d" + c;
                List<ChatResult> mine = results.stream().filter(r -> r.conversationId().equals(conv)).toList();
                assertThat(mine).extracting(ChatResult::requestId).containsExactly(conv + "-1", conv + "-2");
                assertThat(mine.get(1).kvSource()).isEqualTo(ChatResult.KvSource.ENGINE);
                assertThat(mine.get(1).usage().cachedTokens()).isPositive();
                assertThat(mine).allSatisfy(r -> assertThat(r.usage().completionTokens()).isPositive());
            }
        } finally {
            ChatJobEndToEndTest.cancel(first);
        }
        Optional<Path> retained = RetainedCheckpoints.latest(one.checkpointDir());
        assertThat(retained).isPresent();

        ChatJobOptions two = one.toBuilder().resume("true").build();
        KafkaTestClient.produce(kafka, "dsv3.prompts", turn3);
        JobClient second = ChatJobEndToEndTest.start(two, s -> s);
        try {
            List<ChatResult> all = awaitRecords(kafka, "dsv3.results", ChatResult.class, l -> l.size() >= 9, Duration.ofSeconds(90));
            List<ChatResult> after = all.stream().filter(r -> r.requestId().endsWith("-3")).toList();
            assertThat(after).hasSize(3).allSatisfy(r -> {
                assertThat(r.turn()).isEqualTo(3);
                assertThat(r.kvSource()).isEqualTo(ChatResult.KvSource.STATE);
                assertThat(r.usage().cachedTokens()).isPositive();
            });
            assertThat(all).extracting(ChatResult::requestId).doesNotHaveDuplicates();
        } finally {
            ChatJobEndToEndTest.cancel(second);
        }
    }
}
