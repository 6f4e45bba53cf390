package io.r1stream.engine.model.gen;

import java.util.SplittableRandom;

/**
 * Deterministic random tensors: each tensor's stream is seeded from the model seed and the tensor's name,
 * so the files are identical for the same seed whatever order or thread writes them.
 */
final class WeightInit {
    private final long seed;

    WeightInit(long seed) { this.seed = seed; }

    float[] normal(String tensor, int n, double std, double mean) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ fnv(tensor));
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) (mean + std * r.nextGaussian());
        return out;
    }

    private static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) { h ^= s.charAt(i); h *= 0x100000001b3L; }
        return h;
    }
}
