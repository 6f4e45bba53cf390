package io.r1stream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.r1stream.engine.BatchingEngine;
import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.serve.OpenAiServer;
import io.r1stream.serve.ServeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code bench serve}: the same rounds as {@code bench batching} (random prompts, EOS ignored, fixed output
 * length) once on the bare engine and once through {@code serve} over loopback HTTP with SSE streaming, on the
 * same engine instance, alternating, so the ratio is measured under the same machine load.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "serve over HTTP streaming vs the bare engine: tokens/s, TTFT and inter-chunk latency per concurrency.")
final class BenchServe implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin EngineArgs engine;
    @Option(names = "--concurrency", defaultValue = "1,4,16", split = ",", description = "concurrent requests (default: ${DEFAULT-VALUE})") int[] concurrency;
    @Option(names = "--prompt-tokens", defaultValue = "32", description = "prompt length (default: ${DEFAULT-VALUE})") int promptTokens;
    @Option(names = "--gen-tokens", defaultValue = "32", description = "tokens generated per request, EOS ignored (default: ${DEFAULT-VALUE})") int genTokens;
    @Option(names = "--prefix-entries", defaultValue = "1024", description = "serve's prefix reuse (0 = off), as serve's option (default: ${DEFAULT-VALUE})") int prefixEntries;
    @Option(names = "--repeats", defaultValue = "3", description = "rounds per concurrency and side, alternating; medians are printed (default: ${DEFAULT-VALUE})") int repeats;

    @Override
    public Integer call() throws Exception {
        System.out.println(MachineInfo.describe());
        int maxConc = Arrays.stream(concurrency).max().orElse(1);
        EngineOptions o = engine.options();
        o = o.withLimits(Math.max(o.maxRunning(), maxConc), Math.max(o.maxTokensPerStep(), maxConc));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (LoadedModel m = LoadedModel.load(o);
             // EOS ignored so every request generates exactly genTokens (as vLLM's benchmark --ignore-eos)
             BatchingEngine e = new BatchingEngine(m.forwardPass(), Set.of(), m::newDetokenizer, o);
             OpenAiServer server = OpenAiServer.start(ServeOptions.defaults("bench").withPort(0).withMaxQueue(maxConc).withPrefixEntries(prefixEntries))) {
            server.ready(m, e, o.maxRunning());
            URI url = URI.create(server.baseUri() + "/completions");
            System.out.printf("model: %s, forward pass on %s, %d thread(s), prompt %d tokens, %d generated per request, %d rounds per side%n",
                    m.dir().getFileName(), m.forwardPass().device(), engine.threads, promptTokens, genTokens, repeats);
            for (int w = 0; w < 2; w++) { // warm-up, both paths, at the widest concurrency (JIT, connections, threads)
                bare(e, m, maxConc, w);
                http(client, url, m, maxConc, w);
            }
            System.out.println("concurrency | engine tok/s | serve tok/s | serve/engine | serve ttft p50 ms | p95 ms | serve inter-chunk p50 ms | p95 ms | engine ttft p50 ms");
            for (int c : concurrency) {
                List<Double> bareTps = new ArrayList<>(), httpTps = new ArrayList<>(), ratios = new ArrayList<>();
                List<Double> ttft = new ArrayList<>(), gaps = new ArrayList<>(), bareTtft = new ArrayList<>();
                for (int i = 0; i < repeats; i++) {
                    long seed = c * 31L + i;
                    // which side goes first alternates too, so neither always runs on a warmer or quieter machine
                    Round b, h;
                    if (i % 2 == 0) {
                        b = bare(e, m, c, seed);
                        h = http(client, url, m, c, seed);
                    } else {
                        h = http(client, url, m, c, seed);
                        b = bare(e, m, c, seed);
                    }
                    bareTps.add(b.tokensPerSecond);
                    httpTps.add(h.tokensPerSecond);
                    ratios.add(h.tokensPerSecond / b.tokensPerSecond);
                    ttft.addAll(h.ttft);
                    gaps.addAll(h.gaps);
                    bareTtft.addAll(b.ttft);
                }
                System.out.printf("%11d | %12.1f | %11.1f | %11.1f%% | %17.1f | %6.1f | %24.2f | %6.2f | %17.1f%n", c, Stats.median(bareTps), Stats.median(httpTps),
                        100 * Stats.median(ratios), Stats.percentile(ttft, 50), Stats.percentile(ttft, 95),
                        Stats.percentile(gaps, 50), Stats.percentile(gaps, 95), Stats.percentile(bareTtft, 50));
            }
        }
        return 0;
    }

    record Round(double tokensPerSecond, List<Double> ttft, List<Double> gaps) {}

    private int[][] prompts(LoadedModel m, int c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int vocab = m.tokenizer().vocabSize();
        int[][] p = new int[c][];
        for (int i = 0; i < c; i++) p[i] = rnd.ints(promptTokens, 0, vocab).toArray();
        return p;
    }

    private Round bare(BatchingEngine e, LoadedModel m, int c, long seed) {
        int[][] prompts = prompts(m, c, seed);
        List<CompletableFuture<GenerationResult>> fs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < c; i++) {
            fs.add(e.submit(new GenerationRequest("b" + i, null, prompts[i], SamplingParams.greedy(genTokens))).result());
        }
        long tokens = 0;
        List<Double> ttft = new ArrayList<>();
        for (CompletableFuture<GenerationResult> f : fs) {
            GenerationResult r = f.join();
            if (r.error() != null) throw new IllegalStateException(r.error());
            tokens += r.completionTokens();
            ttft.add(r.timing().ttftMs());
        }
        return new Round(tokens / ((System.nanoTime() - t0) / 1e9), ttft, List.of());
    }

    /** One round over HTTP: /v1/completions with token-id prompts, streamed, usage from the last chunk. */
    private Round http(HttpClient client, URI url, LoadedModel m, int c, long seed) throws IOException {
        int[][] prompts = prompts(m, c, seed);
        List<CompletableFuture<long[]>> fs = new ArrayList<>();
        List<Double> ttft = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Double> gaps = java.util.Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        for (int i = 0; i < c; i++) {
            String body = "{\"model\":\"bench\",\"prompt\":[" + Arrays.stream(prompts[i]).mapToObj(Integer::toString).collect(Collectors.joining(","))
                    + "],\"max_tokens\":" + genTokens + ",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
            HttpRequest req = HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build();
            long sent = System.nanoTime();
            fs.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofLines()).thenApply(resp -> read(resp, sent, ttft, gaps)));
        }
        long tokens = 0;
        for (CompletableFuture<long[]> f : fs) tokens += f.join()[0];
        return new Round(tokens / ((System.nanoTime() - t0) / 1e9), ttft, gaps);
    }

    private static long[] read(HttpResponse<Stream<String>> resp, long sent, List<Double> ttft, List<Double> gaps) {
        if (resp.statusCode() != 200) throw new IllegalStateException("serve answered " + resp.statusCode());
        long[] tokens = {0};
        long[] last = {0};
        try (Stream<String> lines = resp.body()) {
            lines.filter(l -> l.startsWith("data: {")).forEach(l -> {
                long now = System.nanoTime();
                // The client shares the machine with the engine: parse only the usage chunk, not every delta.
                if (l.contains("\"choices\":[]")) {
                    try {
                        tokens[0] = JSON.readTree(l.substring(6)).at("/usage/completion_tokens").asLong();
                    } catch (IOException ex) {
                        throw new IllegalStateException(ex);
                    }
                    return;
                }
                if (l.contains("\"text\":\"\"")) return; // an empty delta carries no token
                if (last[0] == 0) ttft.add((now - sent) / 1e6);
                else gaps.add((now - last[0]) / 1e6);
                last[0] = now;
            });
        }
        return tokens;
    }
}
