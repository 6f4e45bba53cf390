package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.r1stream.jobs.KafkaTestClient.awaitRecords;
import static io.r1stream.jobs.KafkaTestClient.prompt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat job end to end: a real KRaft broker in this JVM, Flink's MiniCluster, RocksDB, the tiny generated
 * model, exactly-once sinks read with read_committed.
 */
class ChatJobEndToEndTest {
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

    static ChatJobOptions options(String name, int parallelism) throws Exception {
        return options(kafka, model, tmp, name, parallelism);
    }

    /** Options for a test job with its own topics (created here), checkpoint dir, group and transactional ids. */
    static ChatJobOptions options(LocalKafkaBroker kafka, Path model, Path tmp, String name, int parallelism) throws Exception {
        kafka.createTopics(Map.of(name + ".prompts", 2, name + ".results", 1, name + ".dlq", 1, name + ".metrics", 1));
        return ChatJobOptions.builder(model)
                .bootstrapServers(kafka.bootstrapServers())
                .promptsTopic(name + ".prompts").resultsTopic(name + ".results")
                .deadLetterTopic(name + ".dlq").metricsTopic(name + ".metrics")
                .groupId(name).transactionalIdPrefix(name)
                .checkpointDir(tmp.resolve("ckpt-" + name).toString())
                .checkpointInterval(Duration.ofMillis(500))
                .metricsWindow(Duration.ofSeconds(1))
                .maxMessageTokens(40)
                .restartDelay(Duration.ofMillis(200))
                .parallelism(parallelism)
                .build();
    }

    static JobClient start(ChatJobOptions o, java.util.function.UnaryOperator<org.apache.flink.streaming.api.datastream.DataStream<ChatResult>> hook)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(o.parallelism(), ChatJob.configuration(o));
        ChatJob.build(env, o, hook);
        return env.executeAsync("r1stream-chat-test");
    }

    static void cancel(JobClient job) throws Exception {
        job.cancel().get();
        try {
            // returns once every task has closed (so the shared engine is released), then the MiniCluster stops
            job.getJobExecutionResult().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException cancelled) {
            assertThat(cancelled).hasStackTraceContaining("cancel");
        }
    }

    static Map<String, ChatResult> byRequest(List<ChatResult> results) {
        return results.stream().collect(Collectors.toMap(ChatResult::requestId, Function.identity(), (a, b) -> a, LinkedHashMap::new));
    }

    @Test
    void answersMultiTurnConversationsInOrderAndSendsBadRecordsToTheDeadLetterTopic() throws Exception {
        ChatJobOptions o = options("multi", 1);
        List<String[]> records = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            records.add(new String[] {"c" + c, prompt("c" + c + "-1", "c" + c, "hello number " + c)});
            records.add(new String[] {"c" + c, prompt("c" + c + "-2", "c" + c, "tell me more")});
            records.add(new String[] {"c" + c, prompt("c" + c + "-3", "c" + c, "and then")});
        }
        records.add(new String[] {"bad", "this is not json"});
        records.add(new String[] {"bad", "{\"request_id\":\"x1\"}"});
        records.add(new String[] {"c0", prompt("too-long", "c0", "word ".repeat(60).trim())});
        // completion requests: the prompt continued as it is, outside any conversation
        records.add(new String[] {"k1", "{\"request_id\":\"k1\",\"prompt\":\"once upon a time\",\"max_tokens\":10,\"temperature\":0}"});
        records.add(new String[] {"k2", "{\"request_id\":\"k2\",\"prompt\":\"once upon a time\",\"max_tokens\":10,\"temperature\":0,"
                + "\"echo\":true}"});
        records.add(new String[] {"k3", "{\"request_id\":\"k3\",\"prompt\":\"def f(\",\"suffix\":\")\"}"});
        KafkaTestClient.produce(kafka, "multi.prompts", records);

        JobClient job = start(o, s -> s);
        try {
            List<ChatResult> results = awaitRecords(kafka, "multi.results", ChatResult.class, l -> l.size() >= 11, Duration.ofSeconds(60));
            List<DeadLetter> dlq = awaitRecords(kafka, "multi.dlq", DeadLetter.class, l -> l.size() >= 4, Duration.ofSeconds(30));
            Map<String, ChatResult> completions = byRequest(results.stream().filter(r -> r.turn() == 0).toList());
            assertThat(completions).containsOnlyKeys("k1", "k2");
            ChatResult k1 = completions.get("k1");
            assertThat(k1.conversationId()).isEqualTo("k1"); // keyed by its request id
            assertThat(k1.reasoningContent()).isNull();
            assertThat(k1.usage().completionTokens()).isBetween(1, 10);
            assertThat(k1.usage().promptTokens()).isBetween(1, 8); // the text alone: no template around it
            assertThat(completions.get("k2").content()).isEqualTo("once upon a time" + k1.content()); // echo, same greedy text
            for (int c = 0; c < 3; c++) {
                String conv = "c" + c;
                List<ChatResult> mine = results.stream().filter(r -> r.conversationId().equals(conv)).toList();
                assertThat(mine).extracting(ChatResult::requestId).containsExactly(conv + "-1", conv + "-2", conv + "-3");
                assertThat(mine).extracting(ChatResult::turn).containsExactly(1, 2, 3);
                // each turn's prompt holds the previous ones, and reuses the engine's cache of them
                assertThat(mine.get(2).usage().promptTokens()).isGreaterThan(mine.get(1).usage().promptTokens());
                assertThat(mine.get(1).usage().cachedTokens()).isPositive();
                assertThat(mine.get(1).kvSource()).isEqualTo(ChatResult.KvSource.ENGINE);
                assertThat(mine).allSatisfy(r -> assertThat(r.usage().completionTokens()).isBetween(1, 8));
            }
            assertThat(dlq).extracting(DeadLetter::errorType).containsExactlyInAnyOrder(DeadLetter.ErrorType.MALFORMED_JSON,
                    DeadLetter.ErrorType.INVALID_FIELDS, DeadLetter.ErrorType.INVALID_FIELDS, DeadLetter.ErrorType.INVALID_FIELDS);
            assertThat(dlq).anySatisfy(d -> assertThat(d.error()).contains("'suffix' (fill-in-the-middle) is not supported"));
            assertThat(dlq).anySatisfy(d -> assertThat(d.error()).contains("too-long").contains("limit of 40"));
            assertThat(dlq).anySatisfy(d -> assertThat(d.topic()).isEqualTo("multi.prompts").isNotNull());
            var metrics = awaitRecords(kafka, "multi.metrics", io.r1stream.connectors.records.MetricsWindow.class,
                    l -> l.stream().mapToLong(m -> m.count()).sum() >= 11, Duration.ofSeconds(20));
            assertThat(metrics.stream().mapToLong(m -> m.dlqCount()).sum()).isEqualTo(4);
        } finally {
            cancel(job);
        }
    }

    @Test
    void aFaultAfterACompletedCheckpointLeavesExactlyOneResultPerRequestWithTheFaultFreeText() throws Exception {
        ChatJobOptions o = options("fault", 1);
        FailOnceAfterCheckpoint.reset();
        Map<String, List<String[]>> conversations = new LinkedHashMap<>();
        List<String[]> first = new ArrayList<>();
        List<String[]> second = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            String conv = "f" + c;
            conversations.put(conv, List.of(new String[] {conv + "-1", "first question " + c}, new String[] {conv + "-2", "second question"}));
            first.add(new String[] {conv, prompt(conv + "-1", conv, "first question " + c)});
            second.add(new String[] {conv, prompt(conv + "-2", conv, "second question")});
        }
        for (int c = 0; c < 2; c++) {
            String conv = "g" + c;
            conversations.put(conv, List.<String[]>of(new String[] {conv + "-1", "late question " + c}));
            second.add(new String[] {conv, prompt(conv + "-1", conv, "late question " + c)});
        }
        KafkaTestClient.produce(kafka, "fault.prompts", first);
        JobClient job = start(o, s -> s.map(new FailOnceAfterCheckpoint()).uid("fault-injection").name("fault-injection"));
        try {
            awaitRecords(kafka, "fault.results", ChatResult.class, l -> l.size() >= 4, Duration.ofSeconds(60));
            FailOnceAfterCheckpoint.ARMED.set(true);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!FailOnceAfterCheckpoint.CHECKPOINT_SEEN.get() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(FailOnceAfterCheckpoint.CHECKPOINT_SEEN).isTrue();
            KafkaTestClient.produce(kafka, "fault.prompts", second);

            awaitRecords(kafka, "fault.results", ChatResult.class, l -> l.size() >= 10, Duration.ofSeconds(60));
            Thread.sleep(1500); // a few more checkpoints: duplicates, if any, would be committed by now
            List<ChatResult> results = KafkaTestClient.read(kafka, "fault.results", ChatResult.class);
            assertThat(FailOnceAfterCheckpoint.FAILED).as("the fault was injected").isTrue();
            assertThat(results).extracting(ChatResult::requestId).doesNotHaveDuplicates().hasSize(10);

            Map<String, String> reference = ReferenceAnswers.compute(o.engine(), conversations);
            Map<String, ChatResult> got = byRequest(results);
            for (Map.Entry<String, String> e : reference.entrySet()) {
                ChatResult r = got.get(e.getKey());
                assertThat(r).as(e.getKey()).isNotNull();
                String text = (r.reasoningContent() == null ? "" : r.reasoningContent())
                        + (r.content().isEmpty() ? "" : "</think>" + r.content());
                assertThat(text).as("text of %s", e.getKey()).isEqualTo(e.getValue());
                assertThat(r.turn()).isEqualTo(e.getKey().endsWith("-2") ? 2 : 1);
            }
        } finally {
            cancel(job);
        }
    }
}
