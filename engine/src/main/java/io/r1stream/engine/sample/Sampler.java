package io.r1stream.engine.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy, or temperature -> top-k -> top-p -> a draw from a per-request
 * random stream (seeded, so a restarted request produces the same text). One instance per request.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = params.seed() == null ? new SplittableRandom() : new SplittableRandom(params.seed());
    }

    public int next(float[] logits) {
        if (params.isGreedy()) return argmax(logits);
        int n = logits.length;
        // Candidates sorted by logit, descending; top-k cuts the list before the softmax.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int k = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        double max = logits[order[0]];
        double[] p = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / params.temperature());
            sum += p[i];
        }
        // top-p: the smallest prefix whose mass reaches topP (at least one token).
        int keep = k;
        if (params.topP() < 1) {
            double cum = 0;
            for (int i = 0; i < k; i++) {
                cum += p[i] / sum;
                if (cum >= params.topP()) { keep = i + 1; break; }
            }
        }
        double mass = 0;
        for (int i = 0; i < keep; i++) mass += p[i];
        double u = random.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            u -= p[i];
            if (u <= 0) return order[i];
        }
        return order[keep - 1];
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
