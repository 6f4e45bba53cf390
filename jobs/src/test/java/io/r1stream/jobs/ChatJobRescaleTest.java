package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;
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
 * Process-level restarts: the job is cancelled (checkpoints retained), then started again at another
 * parallelism (2 -> 1 -> 2) from the newest retained checkpoint. Every conversation goes on where it was, and with the KV
 * state tier on, its next turn loads its KV cache from keyed state.
 */
class ChatJobRescaleTest {
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

    /** Runs one stage: produce the turn's prompts, wait until every answer so far is committed, cancel. */
    private static List<ChatResult> stage(ChatJobOptions o, List<String[]> prompts, int answersSoFar) throws Exception {
        KafkaTestClient.produce(kafka, "rescale.prompts", prompts);
        JobClient job = ChatJobEndToEndTest.start(o, s -> s);
        try {
            // visible under read_committed = the checkpoint holding these turns (and their KV chunks) completed
            return awaitRecords(kafka, "rescale.results", ChatResult.class, l -> l.size() >= answersSoFar, Duration.ofSeconds(90));
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
    }

    @Test
    void rescaling2To1To2KeepsEveryConversationGoingWithItsHistoryAndKvFromState() throws Exception {
        int conversations = 4;
        List<List<String[]>> turns = new ArrayList<>();
        for (int t = 1; t <= 3; t++) {
            List<String[]> turn = new ArrayList<>();
            for (int c = 0; c < conversations; c++) {
                turn.add(new String[] {"r" + c, prompt("r" + c + "-" + t, "r" + c, t == 1 ? "what is " + c : "why " + t)});
            }
            turns.add(turn);
        }
        ChatJobOptions two = ChatJobEndToEndTest.options(kafka, model, tmp, "rescale", 2).toBuilder().kvTier(KvStateTier.EVERY_TURN).build();
        stage(two, turns.get(0), conversations);
        Optional<Path> retained = RetainedCheckpoints.latest(two.checkpointDir());
        assertThat(retained).isPresent();

        ChatJobOptions one = two.toBuilder().parallelism(1).resume("true").build();
        assertThat(ChatJob.resumePath(one)).contains(retained.get().toUri().toString());
        stage(one, turns.get(1), 2 * conversations);

        ChatJobOptions twoAgain = two.toBuilder().resume("true").build();
        List<ChatResult> all = stage(twoAgain, turns.get(2), 3 * conversations);
        assertThat(all).extracting(ChatResult::requestId).doesNotHaveDuplicates().hasSize(3 * conversations);
        for (int c = 0; c < conversations; c++) {
            String conv = "r" + c;
            List<ChatResult> mine = all.stream().filter(r -> r.conversationId().equals(conv)).toList();
            assertThat(mine).extracting(ChatResult::requestId).containsExactly(conv + "-1", conv + "-2", conv + "-3");
            assertThat(mine).extracting(ChatResult::turn).containsExactly(1, 2, 3);
            // each restored turn loaded the conversation's KV from keyed state and continued its history
            assertThat(mine.subList(1, 3)).allSatisfy(r -> {
                assertThat(r.kvSource()).isEqualTo(ChatResult.KvSource.STATE);
                assertThat(r.usage().cachedTokens()).isPositive();
            });
            assertThat(mine.get(2).usage().promptTokens()).isGreaterThan(mine.get(1).usage().promptTokens());
            assertThat(mine.get(2).usage().cachedTokens()).isGreaterThan(mine.get(1).usage().cachedTokens());
        }
    }
}
