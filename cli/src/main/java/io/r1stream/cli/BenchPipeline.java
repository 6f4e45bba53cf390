package io.r1stream.cli;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.jobs.ChatJob;
import io.r1stream.jobs.ChatJobOptions;
import io.r1stream.remote.RemoteChatClient;
import io.r1stream.remote.RemoteListener;
import io.r1stream.remote.RemoteOptions;
import io.r1stream.remote.RemoteRequest;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
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
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * The same conversations through the bare engine and through Kafka + the Flink chat job, at the same
 * concurrency (one conversation = one stream of turns, each turn waiting for the previous answer): how much of
 * the engine's throughput the streaming pipeline keeps. With {@code --backend openai} both sides talk to one
 * OpenAI-compatible server (an in-process {@code serve} over {@code --model}, or {@code --endpoint}): clients
 * calling it directly (streamed, one HTTP client per conversation chain) vs the chat job driving it.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "End-to-end results/s and tokens/s through Kafka and Flink vs the bare engine at the same concurrency.")
final class BenchPipeline implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR") Path model;
    @Option(names = "--conversations", defaultValue = "8", description = "concurrent conversations (default: ${DEFAULT-VALUE})") int conversations;
    @Option(names = "--turns", defaultValue = "3", description = "turns per conversation (default: ${DEFAULT-VALUE})") int turns;
    @Option(names = "--max-tokens", defaultValue = "32", description = "tokens per answer (default: ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--delivery", defaultValue = "at-least-once", paramLabel = "exactly-once|at-least-once",
            description = "result delivery; exactly-once adds up to one checkpoint interval per result (default: ${DEFAULT-VALUE})") String delivery;
    @Option(names = "--checkpoint-interval", defaultValue = "2s", description = "checkpoint interval, e.g. 2s, 500ms (default: ${DEFAULT-VALUE})") String checkpointInterval;
    @Option(names = "--parallelism", defaultValue = "1", description = "job parallelism (default: ${DEFAULT-VALUE})") int parallelism;
    @Option(names = "--dir", defaultValue = ".r1stream/bench-pipeline", description = "working folder (default: ${DEFAULT-VALUE})") Path dir;
    @Option(names = "--backend", defaultValue = "local", paramLabel = "local|openai",
            description = "local: the in-process engine; openai: an OpenAI-compatible server, called directly vs by the job (default: ${DEFAULT-VALUE})") String backend;
    @Option(names = "--endpoint", paramLabel = "URL",
            description = "with --backend openai: the server's base URL (e.g. http://host:8000/v1); default: a serve started here over --model") String endpoint;
    @Option(names = "--endpoint-model", paramLabel = "NAME", description = "with --endpoint: the model name it serves (default: the model directory's name)") String endpointModel;

    /** @param ttftMs time to first token of each conversation's first turn, ms (bare: first token; pipeline: first delta) */
    record Figures(double seconds, int results, long tokens, List<Double> ttftMs, List<Double> resultMs) {
        double resultsPerSecond() { return results / seconds; }
        double tokensPerSecond() { return tokens / seconds; }
    }

    @Override
    public Integer call() throws Exception {
        System.out.println(MachineInfo.describe());
        Path modelDir = model.toAbsolutePath().normalize();
        if (!backend.equals("local") && !backend.equals("openai")) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--backend must be local or openai, got '" + backend + "'");
        }
        if (endpoint != null && !backend.equals("openai")) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--endpoint needs --backend openai");
        }
        boolean remote = backend.equals("openai");
        EngineOptions engine = EngineOptions.defaults(modelDir);
        Figures bare;
        Figures pipe;
        String bareName;
        if (remote) {
            try (ServeUnderTest server = ServeUnderTest.open(endpoint, endpointModel, engine, conversations)) {
                System.out.printf("server: %s (%s), model name '%s'%n", server.baseUrl(), endpoint == null ? "serve started here" : "given", server.modelName());
                RemoteOptions ro = RemoteOptions.defaults(List.of(server.baseUrl()), server.modelName())
                        .withMaxInFlightPerEndpoint(Math.max(conversations, 1));
                direct(ro, "warm"); // warm-up: JIT, connections, the server's threads
                bare = direct(ro, "direct");
                pipe = pipeline(modelDir, ro);
            }
            bareName = "clients -> server";
        } else {
            bare(engine); // warm-up: JIT-compile the kernels before either path is timed
            bare = bare(engine);
            pipe = pipeline(modelDir, null);
            bareName = "bare engine";
        }
        System.out.printf("workload: %d conversations x %d turns, %d tokens per answer max, model %s, backend %s%n",
                conversations, turns, maxTokens, modelDir.getFileName(), backend);
        System.out.println("path                     | results | seconds | results/s | tokens/s");
        System.out.printf("%-24s | %7d | %7.1f | %9.2f | %8.1f%n", bareName, bare.results, bare.seconds, bare.resultsPerSecond(), bare.tokensPerSecond());
        System.out.printf("Kafka+Flink %-12s | %7d | %7.1f | %9.2f | %8.1f%n", delivery, pipe.results, pipe.seconds, pipe.resultsPerSecond(), pipe.tokensPerSecond());
        System.out.printf("pipeline keeps %.0f%% of the %s tokens/s%n", 100 * pipe.tokensPerSecond() / bare.tokensPerSecond(),
                remote ? "direct clients'" : "bare engine's");
        // first turns only: all of them start at t0 on both paths (later turns wait for the previous answer)
        System.out.printf("time to first token of the %d first turns, from produce (pipeline) or submit (%s), ms:%n", conversations,
                remote ? "direct" : "bare");
        System.out.println("seen by                                   |     p50 |     p95");
        printTtft(remote ? "direct client, first streamed text" : "bare engine, first token", bare.ttftMs());
        printTtft("deltas topic consumer, first delta", pipe.ttftMs());
        printTtft("results consumer (read_committed), answer", pipe.resultMs());
        System.out.printf("deltas TTFT / bare TTFT: p50 %.2fx, p95 %.2fx (results delivery %s)%n",
                Stats.percentile(pipe.ttftMs(), 50) / Stats.percentile(bare.ttftMs(), 50),
                Stats.percentile(pipe.ttftMs(), 95) / Stats.percentile(bare.ttftMs(), 95), delivery);
        return 0;
    }

    private static void printTtft(String what, List<Double> ms) {
        System.out.printf("%-41s | %7.0f | %7.0f%n", what, Stats.percentile(ms, 50), Stats.percentile(ms, 95));
    }

    private String message(int conversation, int turn) {
        return "Conversation " + conversation + ", question " + (turn + 1) + ": how do streams, state and checkpoints fit together?";
    }

    /** The same message with a side's tag first, so one side's turns never hit the server's cache of the other's. */
    private String message(String side, int conversation, int turn) {
        return side + " " + message(conversation, turn);
    }

    /** Every conversation as a chain of streamed turns sent straight to the server, all conversations at once. */
    private Figures direct(RemoteOptions options, String side) {
        try (RemoteChatClient client = new RemoteChatClient(options)) {
            java.util.concurrent.atomic.AtomicLong[] firstText = new java.util.concurrent.atomic.AtomicLong[conversations];
            for (int c = 0; c < conversations; c++) firstText[c] = new java.util.concurrent.atomic.AtomicLong();
            long t0 = System.nanoTime();
            List<CompletableFuture<Long>> chains = new ArrayList<>();
            for (int c = 0; c < conversations; c++) {
                int conv = c;
                CompletableFuture<Long> chain = CompletableFuture.completedFuture(0L);
                List<ChatMessage> history = new ArrayList<>();
                for (int t = 0; t < turns; t++) {
                    int turn = t;
                    chain = chain.thenCompose(tokens -> {
                        history.add(ChatMessage.user(message(side, conv, turn)));
                        SamplingParams p = new SamplingParams(0.6, 0, 0.95, 7L * conv + turn, maxTokens, List.of());
                        RemoteListener first = (reasoning, content) -> { if (turn == 0) firstText[conv].compareAndSet(0, System.nanoTime()); };
                        return client.submit(RemoteRequest.chat(side + "-" + conv, side + "-" + conv + "-" + turn, List.copyOf(history), p), first)
                                .thenApply(r -> {
                                    if (!r.ok()) throw new IllegalStateException("the server failed a turn: " + r.error());
                                    // an answer that streamed no text (EOS first) counts its end as the first token
                                    if (turn == 0) firstText[conv].compareAndSet(0, System.nanoTime());
                                    history.add(ChatMessage.assistant(r.reasoning() + "</think>" + r.content()));
                                    return tokens + r.completionTokens();
                                });
                    });
                }
                chains.add(chain);
            }
            long tokens = chains.stream().mapToLong(CompletableFuture::join).sum();
            List<Double> ttft = new ArrayList<>();
            for (java.util.concurrent.atomic.AtomicLong f : firstText) ttft.add((f.get() - t0) / 1e6);
            return new Figures((System.nanoTime() - t0) / 1e9, conversations * turns, tokens, ttft, List.of());
        }
    }

    /** Every conversation as a chain of turns on the shared engine, all conversations at once. */
    private Figures bare(EngineOptions options) {
        // one thread per conversation: the common pool has only (cores - 1) threads and would serialize them
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(conversations);
        try (Engines.EngineHandle h = Engines.acquire(options)) {
            java.util.concurrent.atomic.AtomicLong[] firstToken = new java.util.concurrent.atomic.AtomicLong[conversations];
            for (int c = 0; c < conversations; c++) firstToken[c] = new java.util.concurrent.atomic.AtomicLong();
            long t0 = System.nanoTime();
            List<CompletableFuture<long[]>> chains = new ArrayList<>();
            for (int c = 0; c < conversations; c++) {
                int conv = c;
                chains.add(CompletableFuture.supplyAsync(() -> {
                    List<ChatMessage> history = new ArrayList<>();
                    long tokens = 0;
                    for (int t = 0; t < turns; t++) {
                        history.add(ChatMessage.user(message(conv, t)));
                        SamplingParams p = new SamplingParams(0.6, 0, 0.95, 7L * conv + t, maxTokens, List.of());
                        boolean firstTurn = t == 0;
                        GenerationResult r = h.engine().submit(new GenerationRequest("b-" + conv + "-" + t, "bare-" + conv,
                                h.model().chatPrompt(null, history), p), (id, d) -> {
                                    if (firstTurn) firstToken[conv].compareAndSet(0, System.nanoTime());
                                }).result().join();
                        tokens += r.completionTokens();
                        history.add(ChatMessage.assistant(r.text()));
                    }
                    return new long[]{tokens};
                }, pool));
            }
            long tokens = chains.stream().mapToLong(f -> f.join()[0]).sum();
            List<Double> ttft = new ArrayList<>();
            for (java.util.concurrent.atomic.AtomicLong f : firstToken) ttft.add((f.get() - t0) / 1e6);
            return new Figures((System.nanoTime() - t0) / 1e9, conversations * turns, tokens, ttft, List.of());
        } finally {
            pool.shutdown();
        }
    }

    /** All turns produced to Kafka at once (the job runs each conversation's turns in order); results read back. */
    private Figures pipeline(Path modelDir, RemoteOptions remote) throws Exception {
        String side = remote == null ? "" : "pipeline ";
        Path run = dir.resolve("run-" + System.currentTimeMillis());
        Files.createDirectories(run);
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, run.resolve("kafka"))) {
            kafka.createTopics(Map.of("prompts", 4, "results", 4, "prompts.dlq", 1, "metrics", 1, "deltas", 4));
            ChatJobOptions o = ChatJobOptions.builder(modelDir).bootstrapServers(kafka.bootstrapServers())
                    .checkpointDir(run.resolve("checkpoints").toAbsolutePath().toString()).checkpointInterval(org.apache.flink.util.TimeUtils.parseDuration(checkpointInterval))
                    .delivery(delivery.equals("exactly-once") ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                    .deltasTopic("deltas").parallelism(parallelism).build();
            if (remote != null) o = o.toBuilder().remoteBackend(remote).build();
            Configuration conf = ChatJob.configuration(o);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ChatJob.build(env, o);
            JobClient job = env.executeAsync("r1stream-bench-pipeline");
            // warm-up request: the job's start (engine load, Kafka assignment) is not throughput
            ResultsTopics.send(kafka.bootstrapServers(), "prompts", List.<String[]>of(new String[]{"warm", ResultsTopics.prompt("warm", "warm", "hi", 2, 1)}));
            ResultsTopics.read(kafka.bootstrapServers(), 1, Duration.ofMinutes(5), r -> {}, d -> {});
            List<String[]> records = new ArrayList<>();
            for (int t = 0; t < turns; t++) {
                for (int c = 0; c < conversations; c++) {
                    records.add(new String[]{"pipe-" + c, ResultsTopics.prompt("p-" + c + "-" + t, "pipe-" + c, side + message(c, t), maxTokens, 7L * c + t)});
                }
            }
            Map<String, Long> resultSeen = new java.util.concurrent.ConcurrentHashMap<>();
            try (DeltaWatch deltas = DeltaWatch.start(kafka.bootstrapServers(), "deltas")) {
                long t0 = System.nanoTime();
                ResultsTopics.send(kafka.bootstrapServers(), "prompts", records);
                List<ChatResult> results = new ArrayList<>();
                ResultsTopics.read(kafka.bootstrapServers(), records.size() + 1, Duration.ofMinutes(30), r -> {
                    resultSeen.putIfAbsent(r.requestId(), System.nanoTime());
                    results.add(r);
                }, d -> {});
                double seconds = (System.nanoTime() - t0) / 1e9;
                List<Double> ttft = new ArrayList<>(), resultMs = new ArrayList<>();
                for (int c = 0; c < conversations; c++) {
                    String id = "p-" + c + "-0";
                    ttft.add((deltas.firstSeen(id, Duration.ofSeconds(10)) - t0) / 1e6);
                    resultMs.add((resultSeen.get(id) - t0) / 1e6);
                }
                job.cancel().get();
                job.getJobExecutionResult().handle((r, e) -> null).get();
                long tokens = results.stream().filter(r -> !r.requestId().equals("warm")).mapToLong(r -> r.usage().completionTokens()).sum();
                List<Double> e2e = results.stream().filter(r -> !r.requestId().equals("warm")).map(r -> r.latencyMs().e2e()).toList();
                List<Double> queue = results.stream().filter(r -> !r.requestId().equals("warm")).map(r -> r.latencyMs().queue()).toList();
                System.out.printf("pipeline turns as the operator timed them (arrival -> answer), ms: e2e p50 %.0f p95 %.0f, queue p50 %.0f%n",
                        Stats.percentile(e2e, 50), Stats.percentile(e2e, 95), Stats.percentile(queue, 50));
                return new Figures(seconds, (int) results.stream().filter(r -> !r.requestId().equals("warm")).count(), tokens, ttft, resultMs);
            }
        }
    }

}
