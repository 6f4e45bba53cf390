package io.r1stream.engine.model;

/**
 * A bfloat16 weight matrix (out, in): half the bytes of float32 per token, widened exactly to float32 in
 * registers, so decoding (bound by memory bandwidth) runs up to 2x faster and the arithmetic stays float32.
 */
public final class Bf16Linear implements Linear, EmbeddingRows {
    private final short[] w; // (out, in) bf16 bits
    private final int in, out;
    private final MatmulThreads threads;

    public Bf16Linear(short[] w, int out, int in, MatmulThreads threads) {
        if (w.length != (long) out * in) throw new IllegalArgumentException("weights " + w.length + " != " + out + "x" + in);
        this.w = w;
        this.in = in;
        this.out = out;
        this.threads = threads;
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }
    @Override public long weightBytes() { return 2L * w.length; }

    @Override
    public void apply(float[] x, int batch, float[] y) {
        threads.forRows(out, 16, (from, to) -> TiledMatmul.matmulBf16(w, in, out, x, batch, y, from, to));
    }

    /** Embedding lookup for a tied lm_head: row {@code token} as float32. */
    @Override
    public void row(int token, float[] dst, int dstOff) {
        int off = token * in;
        for (int i = 0; i < in; i++) dst[dstOff + i] = TensorDtype.bf16ToFloat(w[off + i]);
    }
}
