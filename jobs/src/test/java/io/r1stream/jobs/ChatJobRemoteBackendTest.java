package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatDelta;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;
import io.r1stream.remote.RemoteOptions;

import org.apache.flink.core.execution.JobClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.r1stream.jobs.KafkaTestClient.awaitRecords;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --backend openai} end to end: the chat job (real KRaft broker, MiniCluster, exactly-once sinks)
 * against two {@code serve} processes on loopback; one is killed (SIGKILL) while turns are in flight. Every
 * request is answered exactly once in read_committed output, in order per conversation, and turns that stayed
 * on their replica reuse its prefix cache.
 */
class ChatJobRemoteBackendTest {
    @TempDir static Path tmp;
    static LocalKafkaBroker kafka;
    static Path model;
    static final List<Process> servers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"));
        model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("model"));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process p : servers) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        for (String name : List.of("replica-a", "replica-b")) { // kept in the test report for diagnosis
            Path log = tmp.resolve(name + ".log");
            if (Files.exists(log)) System.out.println("---- " + name + " log\n" + Files.readString(log));
        }
        if (kafka != null) kafka.close();
    }

    /** Starts a real {@code serve} process over the model (see {@link #baseUrl}). */
    static Process launch(String name) throws Exception {
        Path portFile = tmp.resolve(name + ".port");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector", "-Dai.djl.offline=true", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "io.r1stream.serve.ServeProcessMain", model.toString(), portFile.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile()).start();
        servers.add(p);
        return p;
    }

    /** The base URL of a launched serve process, once /health answers 200. */
    static String baseUrl(String name, Process p) throws Exception {
        Path portFile = tmp.resolve(name + ".port");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(portFile)) {
            if (!p.isAlive()) throw new AssertionError("serve process exited: " + Files.readString(tmp.resolve(name + ".log")));
            if (System.nanoTime() > deadline) throw new AssertionError("serve process did not start in 60 s");
            Thread.sleep(50);
        }
        String base = "http://127.0.0.1:" + Files.readString(portFile).trim();
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        return base + "/v1";
    }

    static String turn(String conv, int n) {
        return "{\"request_id\":\"" + conv + "-" + n + "\",\"conversation_id\":\"" + conv + "\",\"message\":\"turn " + n
                + " of " + conv + "\",\"max_tokens\":48,\"temperature\":0.8,\"seed\":" + (n * 31 + conv.hashCode()) + "}";
    }

    static long served(String base) throws Exception {
        String m = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base.replace("/v1", "/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : m.split("\n")) {
            if (line.startsWith("r1stream_http_responses_total{code=\"200\"}")) return Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
        }
        return 0;
    }

    @Test
    void twoServeReplicasOneKilledMidRunEveryTurnAnsweredOnceInOrder() throws Exception {
        Process pa = launch("replica-a");
        Process pb = launch("replica-b"); // both load at once
        String a = baseUrl("replica-a", pa);
        String b = baseUrl("replica-b", pb);
        ChatJobOptions o = ChatJobEndToEndTest.options(kafka, model, tmp, "remote", 1).toBuilder()
                .remoteBackend(RemoteOptions.defaults(List.of(a, b), "tiny")
                        .withTimeouts(1_000, 30_000, 30_000, 120_000).withRetries(8, 50, 2_000).withBreaker(2, 3_000))
                .maxMessageTokens(100)
                .build();
        List<String> convs = new ArrayList<>();
        for (int c = 0; c < 8; c++) convs.add("r" + c);
        List<String[]> wave1 = new ArrayList<>();
        for (String c : convs) wave1.add(new String[] {c, turn(c, 1)});
        KafkaTestClient.produce(kafka, "remote.prompts", wave1);
        JobClient job = ChatJobEndToEndTest.start(o, s -> s);
        try {
            awaitRecords(kafka, "remote.results", ChatResult.class, l -> l.size() >= 8, Duration.ofSeconds(90));
            long servedByA = served(a);
            assertThat(servedByA).as("replica A served some conversations").isPositive();
            assertThat(served(b)).as("replica B served some conversations").isPositive();
            List<String[]> wave2 = new ArrayList<>();
            for (String c : convs) wave2.add(new String[] {c, turn(c, 2)});
            KafkaTestClient.produce(kafka, "remote.prompts", wave2);
            Thread.sleep(150); // some second turns are in flight on A now
            servers.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9 replica A
            List<String[]> wave3 = new ArrayList<>();
            for (String c : convs) wave3.add(new String[] {c, turn(c, 3)});
            KafkaTestClient.produce(kafka, "remote.prompts", wave3);

            awaitRecords(kafka, "remote.results", ChatResult.class, l -> l.size() >= 24, Duration.ofSeconds(120));
            Thread.sleep(1_500); // a few more checkpoints: duplicates, if any, would be committed by now
            List<ChatResult> results = KafkaTestClient.read(kafka, "remote.results", ChatResult.class);
            assertThat(results).extracting(ChatResult::requestId).doesNotHaveDuplicates().hasSize(24);
            assertThat(results).allSatisfy(r -> assertThat(r.error()).as(r.requestId()).isNull());
            int warm = 0;
            for (String c : convs) {
                List<ChatResult> mine = results.stream().filter(r -> r.conversationId().equals(c)).toList();
                assertThat(mine).extracting(ChatResult::requestId).containsExactly(c + "-1", c + "-2", c + "-3");
                assertThat(mine).extracting(ChatResult::turn).containsExactly(1, 2, 3);
                assertThat(mine.get(2).usage().promptTokens()).isGreaterThan(mine.get(1).usage().promptTokens());
                for (ChatResult r : mine.subList(1, 3)) if (r.usage().cachedTokens() > 0) warm++;
            }
            // conversations on the surviving replica keep their cache (affinity); moved ones start cold there
            assertThat(warm).isPositive();
            assertThat(results.stream().filter(r -> r.turn() > 1 && r.usage().cachedTokens() > 0).map(ChatResult::kvSource))
                    .containsOnly(ChatResult.KvSource.ENGINE);
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
    }

    @Test
    void completionsAndDeltasThroughTheRemoteBackendMatchWhatTheServerAnswersDirectly() throws Exception {
        Process pc = launch("replica-c");
        String c = baseUrl("replica-c", pc);
        kafka.createTopics(Map.of("remote2.deltas", 1));
        ChatJobOptions o = ChatJobEndToEndTest.options(kafka, model, tmp, "remote2", 1).toBuilder()
                .remoteBackend(RemoteOptions.defaults(List.of(c), "tiny"))
                .deltasTopic("remote2.deltas").set("delta-interval", Duration.ZERO).maxMessageTokens(100).build();
        String completion = "{\"request_id\":\"k-1\",\"prompt\":\"once upon a time\",\"max_tokens\":24,\"temperature\":0.8,\"seed\":11}";
        String echoed = "{\"request_id\":\"k-2\",\"conversation_id\":\"q1\",\"prompt\":\"once upon a time\",\"max_tokens\":24,"
                + "\"temperature\":0.8,\"seed\":11,\"echo\":true}";
        KafkaTestClient.produce(kafka, "remote2.prompts", List.of(new String[] {"q1", turn("q1", 1)},
                new String[] {"k-1", completion}, new String[] {"q1", echoed}, new String[] {"q1", turn("q1", 2)}));
        JobClient job = ChatJobEndToEndTest.start(o, s -> s);
        try {
            List<ChatResult> results = awaitRecords(kafka, "remote2.results", ChatResult.class, l -> l.size() >= 4, Duration.ofSeconds(90));
            assertThat(results).allSatisfy(r -> assertThat(r.error()).as(r.requestId()).isNull());
            Map<String, ChatResult> by = ChatJobEndToEndTest.byRequest(results);
            // the same request sent to the server directly gives the same text (same seed): the job adds nothing to it
            String direct = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(c + "/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"tiny\",\"prompt\":\"once upon a time\",\"max_tokens\":24,\"temperature\":0.8,\"seed\":11}"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body()).path("choices").path(0).path("text").asText();
            assertThat(by.get("k-1").content()).isEqualTo(direct);
            assertThat(by.get("k-1").turn()).isZero();
            assertThat(by.get("k-2").content()).isEqualTo("once upon a time" + direct);
            // the completion in q1's order did not enter q1's history: turn 2 follows turn 1
            assertThat(by.get("q1-2").turn()).isEqualTo(2);
            assertThat(results.stream().filter(r -> r.conversationId().equals("q1")).map(ChatResult::requestId))
                    .containsExactly("q1-1", "k-2", "q1-2");

            List<ChatDelta> deltas = awaitRecords(kafka, "remote2.deltas", ChatDelta.class,
                    l -> l.stream().filter(ChatDelta::last).count() >= 4, Duration.ofSeconds(30));
            for (ChatResult r : results) {
                List<ChatDelta> mine = deltas.stream().filter(d -> d.requestId().equals(r.requestId()))
                        .sorted(java.util.Comparator.comparingInt(ChatDelta::seq)).toList();
                assertThat(mine).as("deltas of %s", r.requestId()).hasSizeGreaterThan(1);
                assertThat(mine.get(mine.size() - 1).last()).isTrue();
                String reasoning = mine.stream().map(ChatDelta::reasoningContent).collect(java.util.stream.Collectors.joining());
                String content = mine.stream().map(ChatDelta::content).collect(java.util.stream.Collectors.joining());
                assertThat(reasoning).as(r.requestId()).isEqualTo(r.reasoningContent() == null ? "" : r.reasoningContent());
                // a completion's deltas are the generated text; echo puts the prompt in the result only
                String expected = r.requestId().equals("k-2") ? r.content().substring("once upon a time".length()) : r.content();
                assertThat(content).as(r.requestId()).isEqualTo(expected);
            }
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
    }

    @Test
    void aTurnTimeoutClosesTheRemoteExchangeAndTheConversationGoesOn() throws Exception {
        try (StallingEndpoint stall = new StallingEndpoint()) {
            ChatJobOptions o = ChatJobEndToEndTest.options(kafka, model, tmp, "remote3", 1).toBuilder()
                    .remoteBackend(RemoteOptions.defaults(List.of(stall.baseUrl()), "tiny")
                            .withTimeouts(1_000, 60_000, 60_000, 120_000).withRetries(1, 50, 100))
                    .turnTimeout(Duration.ofSeconds(2)).maxMessageTokens(100).build();
            KafkaTestClient.produce(kafka, "remote3.prompts", List.of(new String[] {"t1", turn("t1", 1)}, new String[] {"t1", turn("t1", 2)}));
            JobClient job = ChatJobEndToEndTest.start(o, s -> s);
            try {
                List<ChatResult> results = awaitRecords(kafka, "remote3.results", ChatResult.class, l -> l.size() >= 2, Duration.ofSeconds(60));
                assertThat(results).extracting(ChatResult::requestId).containsExactly("t1-1", "t1-2");
                assertThat(results).allSatisfy(r -> {
                    assertThat(r.finishReason()).isEqualTo(ChatResult.FinishReason.ERROR);
                    assertThat(r.error()).contains("turn timed out");
                });
                // each timed-out turn's HTTP exchange was closed by the client (not held to the 120 s total timeout)
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (stall.disconnects.get() < 2 && System.nanoTime() < deadline) Thread.sleep(20);
                assertThat(stall.requests.get()).isEqualTo(2);
                assertThat(stall.disconnects.get()).isEqualTo(2);
            } finally {
                ChatJobEndToEndTest.cancel(job);
            }
        }
    }

    @Test
    void afterARestoreTheInFlightTurnsAreSentAgainAndAnsweredOnce() throws Exception {
        Process pd = launch("replica-d");
        String d = baseUrl("replica-d", pd);
        ChatJobOptions o = ChatJobEndToEndTest.options(kafka, model, tmp, "remote4", 1).toBuilder()
                .remoteBackend(RemoteOptions.defaults(List.of(d), "tiny")).maxMessageTokens(100).build();
        FailOnceAfterCheckpoint.reset();
        List<String[]> first = new ArrayList<>(), second = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            first.add(new String[] {"f" + c, turn("f" + c, 1)});
            second.add(new String[] {"f" + c, turn("f" + c, 2)});
        }
        KafkaTestClient.produce(kafka, "remote4.prompts", first);
        JobClient job = ChatJobEndToEndTest.start(o, s -> s.map(new FailOnceAfterCheckpoint()).uid("fault-injection"));
        try {
            awaitRecords(kafka, "remote4.results", ChatResult.class, l -> l.size() >= 3, Duration.ofSeconds(60));
            FailOnceAfterCheckpoint.ARMED.set(true);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!FailOnceAfterCheckpoint.CHECKPOINT_SEEN.get() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(FailOnceAfterCheckpoint.CHECKPOINT_SEEN).isTrue();
            KafkaTestClient.produce(kafka, "remote4.prompts", second);
            awaitRecords(kafka, "remote4.results", ChatResult.class, l -> l.size() >= 6, Duration.ofSeconds(90));
            Thread.sleep(1_500); // a few more checkpoints: duplicates, if any, would be committed by now
            assertThat(FailOnceAfterCheckpoint.FAILED).as("the fault was injected").isTrue();
            List<ChatResult> results = KafkaTestClient.read(kafka, "remote4.results", ChatResult.class);
            assertThat(results).extracting(ChatResult::requestId).doesNotHaveDuplicates().hasSize(6);
            assertThat(results).allSatisfy(r -> assertThat(r.error()).as(r.requestId()).isNull());
            for (int c = 0; c < 3; c++) {
                String conv = "f" + c;
                assertThat(results.stream().filter(r -> r.conversationId().equals(conv)).map(ChatResult::turn)).containsExactly(1, 2);
            }
            // the turn whose result was lost with the failed attempt went to the server again after the restore
            assertThat(served(d)).as("chat requests the server answered").isGreaterThan(6);
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
}
