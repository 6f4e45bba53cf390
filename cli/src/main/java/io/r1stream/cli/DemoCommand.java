package io.r1stream.cli;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;
import io.r1stream.jobs.ChatJob;
import io.r1stream.jobs.ChatJobOptions;
import io.r1stream.operators.KvStateTier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code r1stream demo}: everything on this machine. A local KRaft broker, a generated model, the chat job in
 * a local Flink with the web UI, a few multi-turn conversations (and one malformed record for the
 * dead-letter topic); prints the tokens of each answer as they are generated (the deltas topic, lines starting with
 * {@code ~}), each answer with its latency and KV source once its checkpoint commits it, then a summary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a local Kafka broker, a local Flink (web UI) and a generated model; send a few multi-turn conversations and print the answers.")
public final class DemoCommand implements Callable<Integer> {
    private static final List<List<String>> CONVERSATIONS = List.of(
            List.of("What is stream processing?", "How does Flink keep state?", "And what happens on failure?"),
            List.of("Summarize Kafka in one sentence.", "Why exactly once?"),
            List.of("Write a haiku about tokens.", "Now one about caches.", "Which one is better?"));

    @Option(names = "--dir", defaultValue = ".r1stream/demo", description = "working folder: model, broker data, checkpoints (default: ${DEFAULT-VALUE})") Path dir;
    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI port (default: ${DEFAULT-VALUE})") int webUiPort;
    @Option(names = "--max-tokens", defaultValue = "24", description = "tokens per answer (default: ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--keep-running", description = "keep Kafka and the job running after the demo (Ctrl-C to stop)") boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        Path model = dir.resolve("model");
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            System.out.println("demo: generating a tiny Qwen2 model in " + model);
            ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), model);
        }
        Path run = dir.resolve("run-" + System.currentTimeMillis());
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, run.resolve("kafka"))) {
            kafka.createTopics(Map.of("prompts", 4, "results", 4, "prompts.dlq", 1, "metrics", 1, "deltas", 4));
            System.out.println("demo: Kafka (KRaft) on " + kafka.bootstrapServers());
            ChatJobOptions o = ChatJobOptions.builder(model.toAbsolutePath()).bootstrapServers(kafka.bootstrapServers())
                    .checkpointDir(run.resolve("checkpoints").toAbsolutePath().toString()).checkpointInterval(Duration.ofSeconds(2))
                    .kvTier(KvStateTier.EVERY_TURN).parallelism(2).metricsWindow(Duration.ofSeconds(5))
                    .deltasTopic("deltas").build();
            Configuration conf = ChatJob.configuration(o);
            conf.set(RestOptions.PORT, webUiPort);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            ChatJob.build(env, o);
            JobClient job = env.executeAsync("r1stream-chat-demo");
            System.out.println("demo: Flink web UI on http://localhost:" + webUiPort + " (job " + job.getJobID() + ")");

            long sent = System.nanoTime();
            List<ChatResult> results;
            int expected;
            // tokens as they are generated (deltas topic, at once), then each answer once its checkpoint commits (results)
            try (DeltaWatch tokens = DeltaWatch.start(kafka.bootstrapServers(), "deltas", d -> System.out.printf(
                    "  ~ %s turn %d +%.0f ms%s: %s%n", d.conversationId(), d.turn(), (System.nanoTime() - sent) / 1e6,
                    d.last() ? " (final)" : "", oneLine(d.reasoningContent() + d.content())))) {
                expected = send(kafka.bootstrapServers());
                results = collect(kafka.bootstrapServers(), expected, Duration.ofSeconds(180));
            }
            summarize(results, expected);
            if (keepRunning) {
                System.out.println("demo: running; produce to 'prompts' on " + kafka.bootstrapServers() + ", Ctrl-C to stop");
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                stop.await();
            }
            job.cancel().get();
            job.getJobExecutionResult().handle((r, e) -> null).get();
            return results.size() == expected ? 0 : 1;
        }
    }

    /** Sends every turn of every conversation (the job answers them in order) and one malformed record. */
    private int send(String bootstrap) throws Exception {
        List<String[]> records = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS.size(); c++) {
            for (int t = 0; t < CONVERSATIONS.get(c).size(); t++) {
                records.add(new String[]{"conv-" + c,
                        ResultsTopics.prompt("demo-" + c + "-" + t, "conv-" + c, CONVERSATIONS.get(c).get(t), maxTokens, 7L * c + t)});
            }
        }
        int turns = records.size();
        records.add(new String[]{null, "{\"request_id\": 42, \"message\": "});
        ResultsTopics.send(bootstrap, "prompts", records);
        System.out.println("demo: sent " + turns + " turns in " + CONVERSATIONS.size() + " conversations, and 1 malformed record");
        return turns;
    }

    private List<ChatResult> collect(String bootstrap, int expected, Duration timeout) {
        return ResultsTopics.read(bootstrap, expected, timeout, c -> System.out.printf("%s turn %d [%s, kv %s, cached %d, ttft %.0f ms, e2e %.0f ms]: %s%n",
                        c.conversationId(), c.turn(), c.finishReason(), c.kvSource(), c.usage().cachedTokens(), c.latencyMs().ttft(),
                        c.latencyMs().e2e(), oneLine(c.content() == null || c.content().isEmpty() ? "(reasoning) " + c.reasoningContent() : c.content())),
                d -> System.out.println("dead letter: " + d));
    }

    private static void summarize(List<ChatResult> results, int expected) {
        Map<String, Integer> sources = new TreeMap<>();
        List<Double> ttft = new ArrayList<>();
        int tokens = 0;
        for (ChatResult r : results) {
            sources.merge(String.valueOf(r.kvSource()), 1, Integer::sum);
            ttft.add(r.latencyMs().ttft());
            tokens += r.usage().completionTokens();
        }
        System.out.printf("demo summary: %d of %d answers, %d tokens generated, ttft p50 %.0f ms / p95 %.0f ms, kv sources %s%n",
                results.size(), expected, tokens, Stats.percentile(ttft, 50), Stats.percentile(ttft, 95), sources);
    }

    private static String oneLine(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").trim();
        return t.length() > 100 ? t.substring(0, 100) + "..." : t;
    }
}
