package io.r1stream.engine.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy, or temperature -> top-k -> top-p -> a draw from a per-request
 * random stream (seeded, so a restarted request produces the same text). One instance per request.
 *
 * <p>Runs once per generated token over the whole vocabulary (151,936 logits for Qwen2), so it never sorts the
 * vocabulary: top-k keeps a k-sized heap, top-p first drops tokens too unlikely to be in any nucleus (below
 * (1 - p) / (n - 1) of the mass, as llama2.c does) and sorts only the rest.
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
        float max = logits[argmax(logits)];
        double[] p = new double[n]; // unnormalized probabilities after temperature
        double total = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / params.temperature());
            total += p[i];
        }
        boolean topK = params.topK() > 0 && params.topK() < n;
        if (!topK && params.topP() >= 1) return draw(p, null, n, total);
        // Candidates, most likely first: the k best, or every token that could be in the nucleus.
        long[] cand = topK ? topK(p, params.topK()) : likely(p, (1 - params.topP()) / (n - 1) * total);
        double mass = 0;
        for (long c : cand) mass += p[index(c)];
        int keep = cand.length;
        if (params.topP() < 1) {
            double cum = 0;
            for (int i = 0; i < cand.length; i++) {
                cum += p[index(cand[i])];
                if (cum >= params.topP() * mass) { keep = i + 1; break; }
            }
        }
        int[] ids = new int[keep];
        double kept = 0;
        for (int i = 0; i < keep; i++) { ids[i] = index(cand[i]); kept += p[ids[i]]; }
        return draw(p, ids, keep, kept);
    }

    /** Draws from p restricted to ids (all tokens when ids is null), whose mass is {@code mass}. */
    private int draw(double[] p, int[] ids, int count, double mass) {
        double u = random.nextDouble() * mass;
        for (int i = 0; i < count; i++) {
            int id = ids == null ? i : ids[i];
            u -= p[id];
            if (u <= 0) return id;
        }
        return ids == null ? count - 1 : ids[count - 1];
    }

    /** Sort key: probability (as float bits, monotonic for non-negative floats) then token id. */
    private static long key(double prob, int id) { return ((long) Float.floatToIntBits((float) prob) << 32) | id; }

    private static int index(long key) { return (int) key; }

    /** The k most likely tokens, most likely first (a min-heap of size k over the vocabulary). */
    private static long[] topK(double[] p, int k) {
        long[] heap = new long[k];
        int size = 0;
        for (int i = 0; i < p.length; i++) {
            long key = key(p[i], i);
            if (size < k) {
                heap[size] = key;
                siftUp(heap, size++);
            } else if (key > heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        return descending(heap);
    }

    /** Tokens with probability mass at least {@code threshold}, most likely first. */
    private static long[] likely(double[] p, double threshold) {
        long[] keys = new long[16];
        int m = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] < threshold) continue;
            if (m == keys.length) keys = Arrays.copyOf(keys, 2 * m);
            keys[m++] = key(p[i], i);
        }
        return descending(Arrays.copyOf(keys, m));
    }

    private static long[] descending(long[] keys) {
        Arrays.sort(keys);
        for (int i = 0, j = keys.length - 1; i < j; i++, j--) { long t = keys[i]; keys[i] = keys[j]; keys[j] = t; }
        return keys;
    }

    private static void siftUp(long[] h, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (h[parent] <= h[i]) return;
            long t = h[parent]; h[parent] = h[i]; h[i] = t;
            i = parent;
        }
    }

    private static void siftDown(long[] h, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, min = i;
            if (l < size && h[l] < h[min]) min = l;
            if (r < size && h[r] < h[min]) min = r;
            if (min == i) return;
            long t = h[min]; h[min] = h[i]; h[i] = t;
            i = min;
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
