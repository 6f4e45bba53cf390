package io.r1stream.engine.model;

/**
 * A bfloat16 weight matrix (out, in): half the bytes of float32 per token, widened exactly to float32 in
 * registers, so decoding (bound by memory bandwidth) runs up to 2x faster and the arithmetic stays float32.
 * Held in {@link Bf16Tiles}' column tiles (repacked once here; the row-major array passed in is not kept).
 */
public final class Bf16Linear implements Linear, EmbeddingRows {
    private final short[] tiles; // (tiles(out), in, L) bf16 bits
    private final int in, out;
    private final MatmulThreads threads;

    /** w: (out, in) row-major bf16 bits. */
    public Bf16Linear(short[] w, int out, int in, MatmulThreads threads) {
        if (w.length != (long) out * in) throw new IllegalArgumentException("weights " + w.length + " != " + out + "x" + in);
        this.tiles = Bf16Tiles.tile(w, out, in);
        this.in = in;
        this.out = out;
        this.threads = threads;
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }
    @Override public long weightBytes() { return 2L * in * out; }

    @Override
    public void apply(float[] x, int batch, float[] y) {
        // chunks of whole tile pairs (the 8-sequence kernel covers 2 tiles) and whole interleaved groups
        float[] xt = SequenceBlocks.of(x, batch, in, threads); // once per call, shared by the worker threads
        threads.forRows(out, Math.max(2, Bf16Tiles.GROUP) * Bf16Tiles.L, (from, to) -> Bf16Tiles.matmul(tiles, in, out, x, xt, batch, y, from, to));
    }

    /** Embedding lookup for a tied lm_head: row {@code token} as float32. */
    @Override
    public void row(int token, float[] dst, int dstOff) {
        Bf16Tiles.row(tiles, in, token, dst, dstOff);
    }
}
