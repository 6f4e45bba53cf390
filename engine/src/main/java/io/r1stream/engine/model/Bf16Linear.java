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
        float[] xt = SequenceBlocks.of(x, batch, in, threads); // once per call, shared by the worker threads
        threads.forRows(out, rowAlign(in, batch), (from, to) -> Bf16Tiles.matmul(tiles, in, out, x, xt, batch, y, from, to));
    }

    /**
     * Chunk rows that the kernels cover with their widest blocks: decode's 4-tile streams below 4 sequences, the
     * 3-tile register blocks where the batch takes them (in > 1024), else tile pairs. A 64-row chunk of 896 x 4864
     * at batch 128 left a tile to the one-chain kernel: 2 threads ran 8-9 ms against 4-5 with 128-row chunks.
     */
    static int rowAlign(int in, int batch) {
        if (Bf16Tiles.blockedRows(batch, false) == 0) return 4 * Bf16Tiles.L;
        return in > Bf16Tiles.THREE_TILE_MIN_IN && batch >= 8 ? 3 * Bf16Tiles.L : 2 * Bf16Tiles.L;
    }

    /** Embedding lookup for a tied lm_head: row {@code token} as float32. */
    @Override
    public void row(int token, float[] dst, int dstOff) {
        Bf16Tiles.row(tiles, in, token, dst, dstOff);
    }
}
