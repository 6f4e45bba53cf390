package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatDelta;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import org.apache.flink.core.execution.JobClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static io.r1stream.jobs.KafkaTestClient.awaitRecords;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --deltas-topic}: partial answers stream to Kafka at once (at-least-once) while the results stay exactly
 * once; a fault after a completed checkpoint makes the re-run turns stream again from seq 0 under a higher attempt,
 * and the last attempt's deltas assemble to exactly the committed result. Real KRaft broker, MiniCluster, RocksDB,
 * tiny model.
 */
class ChatJobDeltasTest {
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

    /** A prompt whose answer stops before the first "e" (a stop string likely to split across tokens). */
    static String prompt(String requestId, String conversationId, String message) {
        return "{\"request_id\":\"" + requestId + "\",\"conversation_id\":\"" + conversationId + "\",\"message\":\"" + message
                + "\",\"max_tokens\":12,\"temperature\":0,\"seed\":7,\"stop\":[\"e\"]}";
    }

    @Test
    void deltasStreamEachTurnAndTheLastAttemptAssemblesToTheExactlyOnceResult() throws Exception {
        kafka.createTopics(Map.of("deltas.deltas", 1));
        ChatJobOptions o = ChatJobEndToEndTest.options(kafka, model, tmp, "deltas", 1).toBuilder()
                .deltasTopic("deltas.deltas").set("delta-interval", Duration.ZERO).maxMessageTokens(4096).build();
        FailOnceAfterCheckpoint.reset();
        List<String[]> first = new ArrayList<>(), second = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            first.add(new String[] {"d" + c, prompt("d" + c + "-1", "d" + c, "hello there number " + c)});
            second.add(new String[] {"d" + c, prompt("d" + c + "-2", "d" + c, "go on please")});
        }
        KafkaTestClient.produce(kafka, "deltas.prompts", first);
        JobClient job = ChatJobEndToEndTest.start(o, s -> s.map(new FailOnceAfterCheckpoint()).uid("fault-injection"));
        try {
            awaitRecords(kafka, "deltas.results", ChatResult.class, l -> l.size() >= 3, Duration.ofSeconds(60));
            FailOnceAfterCheckpoint.ARMED.set(true);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!FailOnceAfterCheckpoint.CHECKPOINT_SEEN.get() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(FailOnceAfterCheckpoint.CHECKPOINT_SEEN).isTrue();
            KafkaTestClient.produce(kafka, "deltas.prompts", second);
            List<ChatResult> results = awaitRecords(kafka, "deltas.results", ChatResult.class, l -> l.size() >= 6, Duration.ofSeconds(60));
            assertThat(FailOnceAfterCheckpoint.FAILED).as("the fault was injected").isTrue();
            List<ChatDelta> deltas = awaitRecords(kafka, "deltas.deltas", ChatDelta.class,
                    l -> l.stream().filter(ChatDelta::last).map(ChatDelta::requestId).distinct().count() >= 6, Duration.ofSeconds(30));

            boolean someTurnRanTwice = false;
            for (ChatResult r : results) {
                Map<Long, List<ChatDelta>> attempts = deltas.stream().filter(d -> d.requestId().equals(r.requestId()))
                        .collect(Collectors.groupingBy(ChatDelta::attempt, TreeMap::new, Collectors.toList()));
                assertThat(attempts).as("deltas of %s", r.requestId()).isNotEmpty();
                for (List<ChatDelta> a : attempts.values()) {
                    assertThat(a.get(0).seq()).as("every attempt streams from seq 0").isZero();
                    assertThat(a).allSatisfy(d -> {
                        assertThat(d.conversationId()).isEqualTo(r.conversationId());
                        assertThat(d.turn()).isEqualTo(r.turn());
                        assertThat(d.reasoningContent() + d.content()).as("a stop string is never streamed").doesNotContain("e");
                    });
                }
                someTurnRanTwice |= attempts.size() > 1;
                List<ChatDelta> lastAttempt = new ArrayList<>(((TreeMap<Long, List<ChatDelta>>) attempts).lastEntry().getValue());
                lastAttempt.sort(Comparator.comparingInt(ChatDelta::seq));
                assertThat(lastAttempt).extracting(ChatDelta::seq).containsExactlyElementsOf(
                        java.util.stream.IntStream.range(0, lastAttempt.size()).boxed().toList());
                ChatDelta fin = lastAttempt.get(lastAttempt.size() - 1);
                assertThat(fin.last()).isTrue();
                assertThat(lastAttempt.subList(0, lastAttempt.size() - 1)).noneMatch(ChatDelta::last);
                assertThat(fin.finishReason()).isEqualTo(r.finishReason().wireName());
                String reasoning = lastAttempt.stream().map(ChatDelta::reasoningContent).collect(Collectors.joining());
                String content = lastAttempt.stream().map(ChatDelta::content).collect(Collectors.joining());
                assertThat(reasoning).isEqualTo(r.reasoningContent() == null ? "" : r.reasoningContent());
                assertThat(content).isEqualTo(r.content());
            }
            assertThat(someTurnRanTwice).as("a turn re-run after the fault streamed again under a new attempt").isTrue();
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
    }
}
