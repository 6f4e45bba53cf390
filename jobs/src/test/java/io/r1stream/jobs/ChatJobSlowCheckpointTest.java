package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;
import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.model.TensorDtype;

import org.apache.flink.core.execution.JobClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 9, item 1, scaled down in time: the real engine answers a backlog of prompts that takes several times
 * the Kafka transaction timeout, with the operator at its in-flight limit (blocked in processElement). With
 * aligned checkpoints (wave 1) the barrier queued behind the backlog: no checkpoint completed until it was
 * answered, and the open transactions outlived their timeout (the restart loop of the issue). With unaligned
 * checkpoints the barrier overtakes the backlog: checkpoints complete while it is answered (asserted), every
 * answer is committed once, and the job never restarts. The full-size run (the 0.5B shape, minutes of backlog)
 * is `bench soak`, figures in the README.
 */
class ChatJobSlowCheckpointTest {
    @TempDir static Path tmp;
    static LocalKafkaBroker kafka;
    static Path model;
    static final int CONVERSATIONS = 48;

    @BeforeAll
    static void start() throws Exception {
        kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"));
        model = ModelGenerator.create(new ModelGenerator.Spec(Architecture.QWEN2, ModelSize.SMALL, TensorDtype.BF16, 7, 1),
                tmp.resolve("model"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) kafka.close();
    }

    /**
     * Transactions of 20 s; checkpoints of at most 3 s every 300 ms (5 may fail in a row: the first ones wait for
     * the model to load); one turn at a time; long answers.
     */
    static ChatJobOptions.Builder slow(String name, boolean unaligned) throws Exception {
        return ChatJobEndToEndTest.options(kafka, model, tmp, name, 1).toBuilder()
                .maxInFlight(1)
                .checkpointInterval(Duration.ofMillis(300))
                .checkpointTimeout(Duration.ofSeconds(3))
                .set("tolerable-failed-checkpoints", 5)
                .set("restart-recovery-time", Duration.ofSeconds(1))
                .restartDelay(Duration.ofMillis(100))
                .restartAttempts(100)
                .transactionTimeout(Duration.ofSeconds(20))
                .unalignedCheckpoints(unaligned);
    }

    static List<String[]> backlog() {
        List<String[]> records = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS; c++) {
            String conv = "s" + c;
            records.add(new String[] {conv, "{\"request_id\":\"" + conv + "\",\"conversation_id\":\"" + conv
                    + "\",\"message\":\"write a long answer " + c + "\",\"max_tokens\":128,\"temperature\":0}"});
        }
        return records;
    }

    @Test
    void unalignedCheckpointsCompleteBehindASlowBacklogEveryAnswerArrivesOnceAndTheJobNeverRestarts() throws Exception {
        ChatJobOptions o = slow("slowckpt", true).build();
        KafkaTestClient.produce(kafka, "slowckpt.prompts", backlog());
        CheckpointWatch.reset(CONVERSATIONS);
        long t0 = System.nanoTime();
        JobClient job = ChatJobEndToEndTest.start(o, s -> s.map(new CheckpointWatch()).uid("watch").name("watch"));
        try {
            List<ChatResult> results = KafkaTestClient.awaitRecords(kafka, "slowckpt.results", ChatResult.class,
                    l -> l.size() >= CONVERSATIONS, Duration.ofSeconds(120));
            double seconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(1000); // duplicates, if any, would be committed by now
            results = KafkaTestClient.read(kafka, "slowckpt.results", ChatResult.class);
            assertThat(results).extracting(ChatResult::requestId).doesNotHaveDuplicates().hasSize(CONVERSATIONS);
            assertThat(results).allSatisfy(r -> assertThat(r.finishReason()).isNotEqualTo(ChatResult.FinishReason.ERROR));
            System.out.printf("slow-checkpoint backlog: %d answers in %.1f s, %d checkpoints completed (%d during the backlog)%n",
                    CONVERSATIONS, seconds, CheckpointWatch.COMPLETED.get(), CheckpointWatch.COMPLETED_DURING_BACKLOG.get());
            assertThat(CheckpointWatch.OPENS.get()).as("task starts (1 = never restarted); %s s, %s checkpoints completed",
                    seconds, CheckpointWatch.COMPLETED.get()).isEqualTo(1);
            assertThat(CheckpointWatch.COMPLETED_DURING_BACKLOG.get()).as("checkpoints completed while the backlog ran")
                    .isGreaterThanOrEqualTo(3);
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
    }

    @Test
    void settingsThatCanLoseAnswersAreRefusedWithTheSettingToChange() {
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", model.toString(),
                "--transaction-timeout", "60s", "--checkpoint-timeout", "5min"}))
                .hasMessageContaining("--transaction-timeout 1min")
                .hasMessageContaining("checkpoint timeout (5min)")
                .hasMessageContaining("Raise --transaction-timeout");
        // at-least-once has no transactions to outlive
        ChatJobOptions.fromArgs(new String[] {"--model", model.toString(), "--delivery", "at-least-once",
                "--transaction-timeout", "60s", "--checkpoint-timeout", "5min"});
    }

    @Test
    void aTransactionTimeoutAboveTheBrokersMaximumIsRefusedAtStart() throws Exception {
        ChatJobOptions o = ChatJobOptions.builder(model).bootstrapServers(kafka.bootstrapServers())
                .transactionTimeout(Duration.ofMinutes(20)).checkpointTimeout(Duration.ofMinutes(3)).build();
        assertThatThrownBy(() -> DeliverySafety.checkBroker(o))
                .hasMessageContaining("transaction.max.timeout.ms (900000 ms)")
                .hasMessageContaining("Lower --transaction-timeout");
        DeliverySafety.checkBroker(ChatJobOptions.builder(model).bootstrapServers(kafka.bootstrapServers()).build());
    }
}
