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
 * A process-level restart: the job is cancelled (checkpoints retained), then started again at another
 * parallelism from the newest retained checkpoint. Every conversation goes on where it was, and with the KV
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

    @Test
    void restoringARetainedCheckpointAtAnotherParallelismKeepsConversationsGoingWithKvFromState() throws Exception {
        ChatJobOptions one = ChatJobEndToEndTest.options(kafka, model, tmp, "rescale", 1).toBuilder().kvTier(KvStateTier.EVERY_TURN).build();
        List<String[]> turn1 = new ArrayList<>();
        List<String[]> turn2 = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            turn1.add(new String[] {"r" + c, prompt("r" + c + "-1", "r" + c, "what is " + c)});
            turn2.add(new String[] {"r" + c, prompt("r" + c + "-2", "r" + c, "why")});
        }
        KafkaTestClient.produce(kafka, "rescale.prompts", turn1);
        JobClient first = ChatJobEndToEndTest.start(one, s -> s);
        try {
            // visible under read_committed = the checkpoint holding these turns (and their KV chunks) completed
            awaitRecords(kafka, "rescale.results", ChatResult.class, l -> l.size() >= 4, Duration.ofSeconds(60));
        } finally {
            ChatJobEndToEndTest.cancel(first);
        }
        Optional<Path> retained = RetainedCheckpoints.latest(one.checkpointDir());
        assertThat(retained).isPresent();

        ChatJobOptions two = one.toBuilder().parallelism(2).resume("true").build();
        assertThat(ChatJob.resumePath(two)).contains(retained.get().toUri().toString());
        KafkaTestClient.produce(kafka, "rescale.prompts", turn2);
        JobClient second = ChatJobEndToEndTest.start(two, s -> s);
        try {
            List<ChatResult> all = awaitRecords(kafka, "rescale.results", ChatResult.class, l -> l.size() >= 8, Duration.ofSeconds(60));
            List<ChatResult> after = all.stream().filter(r -> r.requestId().endsWith("-2")).toList();
            assertThat(after).hasSize(4).allSatisfy(r -> {
                assertThat(r.turn()).isEqualTo(2);
                assertThat(r.kvSource()).isEqualTo(ChatResult.KvSource.STATE);
                assertThat(r.usage().cachedTokens()).isPositive();
            });
            assertThat(all).extracting(ChatResult::requestId).doesNotHaveDuplicates();
        } finally {
            ChatJobEndToEndTest.cancel(second);
        }
    }
}
