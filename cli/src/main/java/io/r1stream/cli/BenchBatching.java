package io.r1stream.cli;

import io.r1stream.engine.BatchingEngine;
import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.sample.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Total generated tokens/s and TTFT / inter-token latency percentiles at several concurrencies. */
@Command(name = "batching", mixinStandardHelpOptions = true,
        description = "Continuous batching: tokens/s and p50/p95 TTFT and inter-token latency per concurrency.")
final class BenchBatching implements Callable<Integer> {
    @Mixin EngineArgs engine;
    @Option(names = "--concurrency", defaultValue = "1,4,16,32", split = ",", description = "concurrent requests (default: ${DEFAULT-VALUE})") int[] concurrency;
    @Option(names = "--prompt-tokens", defaultValue = "32", description = "prompt length (default: ${DEFAULT-VALUE})") int promptTokens;
    @Option(names = "--gen-tokens", defaultValue = "32", description = "tokens generated per request, EOS ignored (default: ${DEFAULT-VALUE})") int genTokens;
    @Option(names = "--llama-batched-bench", paramLabel = "PATH", description = "llama.cpp's llama-batched-bench: run it on --gguf at each concurrency, same prompt/generated tokens and threads") java.nio.file.Path llamaBatchedBench;
    @Option(names = "--gguf", paramLabel = "FILE", description = "the same weights as GGUF for --llama-batched-bench (tools/peer/write_gguf.py)") java.nio.file.Path gguf;
    @Option(names = "--rounds", defaultValue = "1",
            description = "rounds per concurrency, r1stream and llama-batched-bench alternating; tokens/s are medians, latency percentiles pool every round (default: ${DEFAULT-VALUE})") int rounds;

    @Override
    public Integer call() {
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        if (llamaBatchedBench != null && gguf == null) throw new IllegalArgumentException("--llama-batched-bench needs --gguf FILE");
        if (llamaBatchedBench != null && !java.nio.file.Files.isRegularFile(gguf)) {
            throw new IllegalArgumentException("--gguf " + gguf + " does not exist; write it with tools/peer/write_gguf.py");
        }
        System.out.println(MachineInfo.describe());
        int maxConc = java.util.Arrays.stream(concurrency).max().orElse(1);
        EngineOptions o = engine.options();
        o = o.withLimits(Math.max(o.maxRunning(), maxConc), Math.max(o.maxTokensPerStep(), maxConc));
        try (LoadedModel m = LoadedModel.load(o);
             // EOS ignored so every request generates exactly genTokens (as vLLM's benchmark --ignore-eos)
             BatchingEngine e = new BatchingEngine(m.forwardPass(), Set.of(), m::newDetokenizer, o)) {
            System.out.printf("model: %s, forward pass on %s, %d thread(s), prompt %d tokens, %d generated per request%n",
                    m.dir().getFileName(), m.forwardPass().device(), engine.threads, promptTokens, genTokens);
            runRound(e, m, 2, 1); // warm-up
            boolean peer = llamaBatchedBench != null;
            System.out.printf("medians of %d round(s) per concurrency%s%n", rounds, peer ? ", r1stream and llama-batched-bench alternating" : "");
            System.out.println("concurrency | tokens/s | vs c=1 | ttft p50 ms | ttft p95 ms | itl p50 ms | itl p95 ms"
                    + (peer ? " | llama.cpp tokens/s | ratio" + (rounds > 1 ? " | ratio range" : "") : ""));
            double base = 0;
            for (int c : concurrency) {
                // the same prompts every round: the rounds differ only in what the machine's neighbours do
                List<Double> ours = new ArrayList<>(), theirs = new ArrayList<>(), ratios = new ArrayList<>(), ttft = new ArrayList<>(), itl = new ArrayList<>();
                for (int round = 0; round < rounds; round++) {
                    Round r = runRound(e, m, c, c * 31 + 7);
                    ours.add(r.tokensPerSecond);
                    ttft.addAll(r.ttft);
                    itl.addAll(r.itl);
                    if (peer) {
                        double p = LlamaCppPeer.batched(llamaBatchedBench, gguf, promptTokens, genTokens, c, engine.threads);
                        theirs.add(p);
                        ratios.add(r.tokensPerSecond / p);
                    }
                }
                double tps = Stats.median(ours);
                if (base == 0) base = tps;
                String peerCols = "";
                if (peer) {
                    double p = Stats.median(theirs);
                    peerCols = String.format(" | %.1f | %.2fx", p, tps / p)
                            + (rounds > 1 ? String.format(" | %.2f-%.2fx", java.util.Collections.min(ratios), java.util.Collections.max(ratios)) : "");
                }
                System.out.printf("%11d | %8.1f | %5.2fx | %11.1f | %11.1f | %10.1f | %10.1f%s%n", c, tps, tps / base,
                        Stats.percentile(ttft, 50), Stats.percentile(ttft, 95), Stats.percentile(itl, 50), Stats.percentile(itl, 95), peerCols);
            }
            System.out.println("load average at end: " + BenchEngine.loadAverage());
        }
        return 0;
    }

    record Round(double tokensPerSecond, List<Double> ttft, List<Double> itl) {}

    private Round runRound(BatchingEngine e, LoadedModel m, int c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int vocab = m.tokenizer().vocabSize();
        List<Double> itl = new CopyOnWriteArrayList<>();
        ConcurrentHashMap<String, Long> last = new ConcurrentHashMap<>();
        List<CompletableFuture<GenerationResult>> fs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < c; i++) {
            String id = "r" + i;
            int[] prompt = rnd.ints(promptTokens, 0, vocab).toArray();
            fs.add(e.submit(new GenerationRequest(id, null, prompt, SamplingParams.greedy(genTokens)), (tok, d) -> {
                long now = System.nanoTime();
                Long prev = last.put(id, now);
                if (prev != null) itl.add((now - prev) / 1e6);
            }).result());
        }
        long tokens = 0;
        List<Double> ttft = new ArrayList<>();
        for (CompletableFuture<GenerationResult> f : fs) {
            GenerationResult r = f.join();
            if (r.error() != null) throw new IllegalStateException(r.error());
            tokens += r.completionTokens();
            ttft.add(r.timing().ttftMs());
        }
        double s = (System.nanoTime() - t0) / 1e9;
        return new Round(tokens / s, ttft, itl);
    }
}
