package io.r1stream.engine.model;

/** A float32 weight matrix (out, in), row-major, multiplied with the Vector API. */
public final class F32Linear implements Linear, EmbeddingRows {
    private final float[] w; // (out, in)
    private final int in, out;
    private final MatmulThreads threads;

    public F32Linear(float[] w, int out, int in, MatmulThreads threads) {
        if (w.length != (long) out * in) throw new IllegalArgumentException("weights " + w.length + " != " + out + "x" + in);
        this.w = w;
        this.in = in;
        this.out = out;
        this.threads = threads;
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }
    @Override public long weightBytes() { return 4L * w.length; }

    @Override
    public void apply(float[] x, int batch, float[] y) {
        threads.forRows(out, 16, (from, to) -> TiledMatmul.matmulF32(w, in, out, x, batch, y, from, to));
    }

    /** Embedding lookup: row {@code token} as float32. */
    @Override
    public void row(int token, float[] dst, int dstOff) {
        System.arraycopy(w, token * in, dst, dstOff, in);
    }
}
