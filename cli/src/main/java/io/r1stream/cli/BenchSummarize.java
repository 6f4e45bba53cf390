package io.r1stream.cli;

import io.r1stream.connectors.documents.DocumentSummary;
import io.r1stream.connectors.records.RecordJson;
import io.r1stream.engine.EngineOptions;
import io.r1stream.jobs.SummarizeJob;
import io.r1stream.jobs.SummarizeJobOptions;
import io.r1stream.operators.summarize.SummarizeOptions;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * The summarization job on a generated corpus at several parallelisms, with the engine's batching on
 * ({@code --max-running}, default 32) and off (1): documents/min and tokens/s of each run.
 */
@Command(name = "summarize", mixinStandardHelpOptions = true,
        description = "Summarization job: documents/min and tokens/s at each parallelism, engine batching on and off.")
final class BenchSummarize implements Callable<Integer> {
    private static final String[] WORDS = ("river stream batch window state checkpoint kafka flink model token engine summary "
            + "chunk paragraph sentence operator job cluster memory cache reason answer document corpus text latency").split(" ");

    @Mixin EngineArgs engine;
    @Option(names = "--docs", defaultValue = "16", description = "documents in the generated corpus (default: ${DEFAULT-VALUE})") int docs;
    @Option(names = "--paragraphs", defaultValue = "4", description = "paragraphs of the longest documents; sizes cycle 1..N (default: ${DEFAULT-VALUE})") int paragraphs;
    @Option(names = "--parallelism", defaultValue = "1,2", split = ",", description = "job parallelisms (default: ${DEFAULT-VALUE})") int[] parallelism;
    @Option(names = "--max-chunk-tokens", defaultValue = "128", description = "(default: ${DEFAULT-VALUE})") int maxChunkTokens;
    @Option(names = "--max-summary-tokens", defaultValue = "16", description = "(default: ${DEFAULT-VALUE})") int maxSummaryTokens;

    @Override
    public Integer call() throws Exception {
        System.out.println(MachineInfo.describe());
        Path dir = Files.createTempDirectory("r1stream-bench-summarize");
        Path corpus = dir.resolve("corpus");
        long words = writeCorpus(corpus);
        EngineOptions on = engine.options();
        EngineOptions off = on.withLimits(1, on.maxTokensPerStep());
        System.out.printf("model: %s, %d documents (%d words), chunks of %d tokens, summaries of %d tokens, %d thread(s), "
                        + "batching on = --max-running %d, off = 1%n",
                engine.model.getFileName(), docs, words, maxChunkTokens, maxSummaryTokens, engine.threads, on.maxRunning());
        run(corpus, dir.resolve("warm-up.jsonl"), on, parallelism[0]); // JIT and page cache
        System.out.println("parallelism | batching | docs/min | generated tokens/s | prompt tokens/s | chunks | wall s");
        for (int p : parallelism) {
            for (boolean batching : new boolean[] {true, false}) {
                Result r = run(corpus, dir.resolve("out-" + p + "-" + batching + ".jsonl"), batching ? on : off, p);
                System.out.printf("%11d | %8s | %8.1f | %18.1f | %15.1f | %6d | %6.1f%n", p, batching ? "on" : "off",
                        r.docs * 60 / r.seconds, r.completionTokens / r.seconds, r.promptTokens / r.seconds, r.chunks, r.seconds);
            }
        }
        return 0;
    }

    record Result(long docs, long chunks, long promptTokens, long completionTokens, double seconds) {}

    private Result run(Path corpus, Path out, EngineOptions e, int p) throws Exception {
        SummarizeOptions d = SummarizeOptions.defaults();
        SummarizeJobOptions o = SummarizeJobOptions.of(corpus, out, engine.model).withEngine(e).withParallelism(p)
                .withSummarize(new SummarizeOptions(maxChunkTokens, maxChunkTokens / 8, maxSummaryTokens, d.thinking(),
                        d.maxReasoningTokens(), d.temperature(), d.topP(), d.seed(), d.maxAttempts()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(p, SummarizeJob.configuration(o));
        SummarizeJob.build(env, o);
        JobExecutionResult r = env.execute("bench-summarize");
        long n = 0, chunks = 0, prompt = 0, completion = 0;
        for (String line : Files.readAllLines(out)) {
            DocumentSummary s = RecordJson.mapper().readValue(line, DocumentSummary.class);
            if (s.isError()) throw new IllegalStateException("document " + s.docId() + " failed: " + s.error());
            n++;
            chunks += s.chunks();
            prompt += s.promptTokens();
            completion += s.completionTokens();
        }
        return new Result(n, chunks, prompt, completion, r.getNetRuntime() / 1000.0);
    }

    private long writeCorpus(Path root) throws Exception {
        Files.createDirectories(root);
        Random rnd = new Random(1);
        long words = 0;
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            for (int p = 0; p <= d % paragraphs; p++) {
                for (int s = 0, n = 4 + rnd.nextInt(3); s < n; s++) {
                    for (int w = 0, m = 6 + rnd.nextInt(10); w < m; w++, words++) {
                        String word = WORDS[rnd.nextInt(WORDS.length)];
                        sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : " " + word);
                    }
                    sb.append(". ");
                }
                sb.append("\n\n");
            }
            Files.writeString(root.resolve("doc-" + d + ".txt"), sb);
        }
        return words;
    }
}
