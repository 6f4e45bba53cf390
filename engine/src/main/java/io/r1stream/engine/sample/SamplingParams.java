package io.r1stream.engine.sample;

import java.io.Serializable;
import java.util.List;

/**
 * How one request picks its tokens and when it stops.
 *
 * @param temperature 0 = greedy; otherwise logits are divided by it (DeepSeek recommends 0.6 for R1)
 * @param topK        keep the k most likely tokens; 0 = off
 * @param topP        keep the smallest set whose probability reaches p; 1 = off
 * @param seed        per-request seed: the same seed and prompt give the same text; null = random
 * @param maxTokens   generated tokens at most (finish_reason "length")
 * @param stop        strings that end the output (not included in it; finish_reason "stop")
 */
public record SamplingParams(double temperature, int topK, double topP, Long seed, int maxTokens, List<String> stop)
        implements Serializable {

    public SamplingParams {
        if (!(temperature >= 0 && temperature <= 100)) throw new IllegalArgumentException("temperature must be in [0, 100], got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 0, 1, null, maxTokens, List.of());
    }

    public boolean isGreedy() { return temperature == 0 || topK == 1; }

    public SamplingParams withMaxTokens(int n) { return new SamplingParams(temperature, topK, topP, seed, n, stop); }

    public SamplingParams withSeed(Long s) { return new SamplingParams(temperature, topK, topP, s, maxTokens, stop); }
}
