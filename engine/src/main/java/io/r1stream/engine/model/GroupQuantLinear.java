package io.r1stream.engine.model;

/**
 * What {@link Int8Linear} and {@link Q4Linear} share: per-group float32 scales and zero points, and the input
 * gather of GPTQ act-order matrices (x permuted once per call into a reused buffer, so the groups the kernel
 * walks are contiguous). The buffer makes an instance single-threaded per call, like the forward pass.
 */
abstract sealed class GroupQuantLinear implements Linear, EmbeddingRows permits Int8Linear, Q4Linear {
    protected final int in, out, group, groups;
    protected final float[] scales;  // (out, groups)
    protected final float[] zeros;   // (out, groups), layout-specific offset (see subclasses); may be null
    private final int[] inputOrder;  // (in) or null
    private float[] gathered = new float[0]; // (batch, in) x in stored column order, reused
    protected final MatmulThreads threads;

    GroupQuantLinear(QuantizedMatrix m, float[] zeros, MatmulThreads threads) {
        this.in = m.in();
        this.out = m.out();
        this.group = m.group();
        this.groups = m.groups();
        this.scales = m.scales();
        this.zeros = zeros;
        this.inputOrder = m.inputOrder();
        this.threads = threads;
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }

    /** Bytes of scales and zero points read per application. */
    protected long scaleBytes() { return 4L * scales.length * (zeros == null ? 1 : 2); }

    @Override
    public final void apply(float[] x, int batch, float[] y) {
        float[] xs = x;
        if (inputOrder != null) {
            if (gathered.length < batch * in) gathered = new float[batch * in];
            xs = gathered;
            for (int b = 0; b < batch; b++) {
                int off = b * in;
                for (int c = 0; c < in; c++) xs[off + c] = x[off + inputOrder[c]];
            }
        }
        float[] input = xs, blocks = tiled() ? SequenceBlocks.of(xs, batch, in, threads) : null; // once per call, shared by the worker threads
        beforeRows(xs, batch);
        threads.forRows(out, rowAlign(batch), minChunkRows(batch), (from, to) -> kernel(input, blocks, batch, y, from, to));
    }

    /** Rows per unit of the matmul's split across threads: whole tile pairs unless the kernel's layout needs more. */
    protected int rowAlign(int batch) { return 2 * QuantKernels.L; }

    /** The fewest rows a chunk of the split may have (whole units of {@link #rowAlign} otherwise decide). */
    protected int minChunkRows(int batch) { return rowAlign(batch); }

    /** Per-call work on x (stored column order) before the rows split across threads; the kernel reads its result. */
    protected void beforeRows(float[] x, int batch) {}

    /** Whether the kernel runs the column-tile blocks (which read x as {@link SequenceBlocks}). */
    protected boolean tiled() { return true; }

    /** y rows [from, to) for x already in stored column order; xt: x as {@link SequenceBlocks} (null below 8). */
    protected abstract void kernel(float[] x, float[] xt, int batch, float[] y, int from, int to);

    /** Row r dequantized into tmp (stored order); the caller scatters it into input order. */
    protected abstract void dequantRow(int r, float[] tmp, int off);

    @Override
    public final void row(int r, float[] dst, int dstOff) {
        if (inputOrder == null) {
            dequantRow(r, dst, dstOff);
            return;
        }
        float[] tmp = new float[in];
        dequantRow(r, tmp, 0);
        for (int c = 0; c < in; c++) dst[dstOff + inputOrder[c]] = tmp[c];
    }
}
