package io.r1stream.engine.model;

/**
 * Activations (batch, in) regrouped for the 8-sequence register blocks of {@link Int8Tiles}, {@link Bf16Tiles}
 * and {@link Q4Tiles}: each whole block of 8 sequences as (in, 8), so the 8 values one input's FMAs broadcast
 * are adjacent (one cache line per 2 inputs) instead of 8 rows apart. The kernels then read 3 streams instead
 * of 10; in a harness (2 tiles x 8 sequences, 256 inputs, 1 thread) 179 against 155 GFLOPS.
 *
 * <p>Element (b, i) of a whole block sits at {@code b / 8 * in * 8 + i * 8 + b % 8}, i.e. block b0 (a multiple of
 * 8) starts at {@code b0 * in}. Sequences past the last whole block are not copied (the kernels read x for them).
 * The copy lives in a buffer of the calling thread, which the matmul's worker threads read while it waits.
 */
final class SequenceBlocks {
    static final int SEQ = 8;
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[0]);

    private SequenceBlocks() {}

    /** The regrouped copy, or null when the batch has no whole block. */
    static float[] of(float[] x, int batch, int in) {
        int blocks = batch / SEQ;
        if (blocks == 0) return null;
        float[] t = buffer(blocks * SEQ * in);
        copy(x, in, t, 0, blocks);
        return t;
    }

    /**
     * {@link #of(float[], int, int)} with the blocks split across the matmul threads: run by the calling thread
     * alone it was ~2% of a prefill in which the other thread waited.
     */
    static float[] of(float[] x, int batch, int in, MatmulThreads threads) {
        int blocks = batch / SEQ;
        if (blocks == 0) return null;
        float[] t = buffer(blocks * SEQ * in);
        threads.forRows(blocks, 1, (from, to) -> copy(x, in, t, from, to));
        return t;
    }

    private static float[] buffer(int n) {
        float[] t = BUF.get();
        if (t.length < n) BUF.set(t = new float[n]);
        return t;
    }

    /** Blocks [from, to) of x into t. */
    private static void copy(float[] x, int in, float[] t, int from, int to) {
        for (int blk = from; blk < to; blk++) {
            int base = blk * SEQ * in;
            for (int k = 0; k < SEQ; k++) {
                int row = (blk * SEQ + k) * in, d = base + k;
                for (int i = 0; i < in; i++) t[d + i * SEQ] = x[row + i];
            }
        }
    }
}
