package io.r1stream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's figures on the same weights, measured in the same run: runs its {@code llama-bench} (prefill
 * and decode tokens/s) or {@code llama-batched-bench} (total tokens/s at N parallel sequences) as a child
 * process with the same prompt length, generated tokens and threads. Build and GGUF files: tools/peer/.
 */
final class LlamaCppPeer {
    /** Prefill and decode tokens/s (llama-bench's pp and tg averages). */
    record Speed(double prefill, double decode) {}

    private LlamaCppPeer() {}

    static Speed bench(Path llamaBench, Path gguf, int promptTokens, int genTokens, int threads) {
        String out = run(List.of(llamaBench.toString(), "-m", gguf.toString(), "-p", String.valueOf(promptTokens),
                "-n", String.valueOf(genTokens), "-t", String.valueOf(threads), "-r", "3", "-o", "json"));
        try {
            JsonNode rows = new ObjectMapper().readTree(out.substring(out.indexOf('[')));
            double pp = Double.NaN, tg = Double.NaN;
            for (JsonNode r : rows) {
                if (r.path("n_prompt").asInt() > 0 && r.path("n_gen").asInt() == 0) pp = r.path("avg_ts").asDouble();
                if (r.path("n_gen").asInt() > 0 && r.path("n_prompt").asInt() == 0) tg = r.path("avg_ts").asDouble();
            }
            return new Speed(pp, tg);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot parse llama-bench output: " + e.getMessage() + "\n" + out, e);
        }
    }

    /**
     * Generated tokens per second of wall time (prompts included) at {@code parallel} sequences:
     * pl * tg / t from llama-batched-bench's result line, the quantity r1stream's bench batching reports.
     */
    static double batched(Path batchedBench, Path gguf, int promptTokens, int genTokens, int parallel, int threads) {
        int ctx = parallel * (promptTokens + genTokens) + 64;
        String out = run(List.of(batchedBench.toString(), "-m", gguf.toString(), "-c", String.valueOf(ctx), "-b", "2048", "-ub", "512",
                "-npp", String.valueOf(promptTokens), "-ntg", String.valueOf(genTokens), "-npl", String.valueOf(parallel),
                "-t", String.valueOf(threads), "-tb", String.valueOf(threads), "--output-format", "jsonl"));
        for (String line : out.split("\n")) {
            if (!line.startsWith("{")) continue;
            try {
                JsonNode n = new ObjectMapper().readTree(line);
                if (n.has("t") && n.has("pl")) return n.get("pl").asDouble() * n.get("tg").asDouble() / n.get("t").asDouble();
            } catch (IOException ignored) {
                // not the result line
            }
        }
        throw new IllegalStateException("no result line in llama-batched-bench output:\n" + out);
    }

    private static String run(List<String> cmd) {
        if (!Files.isExecutable(Path.of(cmd.get(0)))) {
            throw new IllegalArgumentException(cmd.get(0) + " is not an executable; build llama.cpp as tools/peer/README.md says");
        }
        try {
            Path log = Files.createTempFile("llama-peer", ".out");
            List<String> c = new ArrayList<>(cmd);
            Process p = new ProcessBuilder(c).redirectErrorStream(false).redirectOutput(log.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 30 minutes");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
