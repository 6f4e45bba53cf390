package io.r1stream.engine.model;

/**
 * An 8-bit weight matrix (out, in): one byte per weight plus a float32 scale (and optionally a zero point)
 * per group of inputs, a quarter of float32's bytes. Codes are held signed (code - 128) so symmetric
 * matrices need no zero point at all; zero points are held minus 128 to match.
 *
 * <p>With one scale per row (the default {@code int8}) the codes are held in {@link Int8Tiles}' column tiles
 * and every batch size runs its outer-product kernels; grouped matrices ({@code int8:gN}, GPTQ 8-bit) keep
 * row-major codes and {@link QuantKernels}' row kernels.
 */
public final class Int8Linear extends GroupQuantLinear {
    private final byte[] q;        // per-row: column tiles (Int8Tiles.at); grouped: (out, in); code - 128
    private final boolean tiled;
    private final float[] tileScales, tileZeros; // tiled: (tiles(out) * L) padded; zeros may be null

    Int8Linear(QuantizedMatrix m, MatmulThreads threads) {
        super(m, shiftedZeros(m), threads);
        if (m.bits() != 8) throw new IllegalArgumentException("Int8Linear needs 8-bit codes, got " + m.bits());
        if (!supports(m.in(), m.group())) throw new IllegalArgumentException("in " + m.in() + " and group " + m.group() + " must be multiples of " + QuantKernels.L);
        byte[] codes = m.codes();
        byte[] signed = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) signed[i] = (byte) ((codes[i] & 0xff) - 128);
        this.tiled = groups == 1;
        this.q = tiled ? Int8Tiles.tile(signed, out, in) : signed;
        this.tileScales = tiled ? Int8Tiles.padRows(scales, out) : null;
        this.tileZeros = tiled && zeros != null ? Int8Tiles.padRows(zeros, out) : null;
    }

    /** Shapes the vector kernel handles: whole float vectors per group. */
    static boolean supports(int in, int group) { return in % QuantKernels.L == 0 && (group % QuantKernels.L == 0 || group == in); }

    /** null when every zero point is the symmetric 128 (the kernel then skips the zero-point term). */
    private static float[] shiftedZeros(QuantizedMatrix m) {
        if (m.zeros() == null) return null;
        float[] z = new float[m.zeros().length];
        boolean allMid = true;
        for (int i = 0; i < z.length; i++) {
            z[i] = m.zeros()[i] - 128f;
            allMid &= z[i] == 0f;
        }
        return allMid ? null : z;
    }

    @Override protected boolean tiled() { return tiled; }

    /** Whole interleaved tile groups (decode reads a group as one stream). */
    @Override protected int rowAlign(int batch) { return tiled ? Int8Tiles.GROUP * Int8Tiles.L : super.rowAlign(batch); }

    @Override public long weightBytes() { return (long) in * out + scaleBytes(); }

    /** The zero-point sums of the current call, once per call rather than per row chunk (tiled, with zero points). */
    private float[] sums;

    @Override
    protected void beforeRows(float[] x, int batch) {
        sums = tiled && tileZeros != null ? Int8Tiles.rowSums(x, batch, in) : null;
    }

    @Override
    protected void kernel(float[] x, float[] xt, int batch, float[] y, int from, int to) {
        if (tiled) Int8Tiles.matmul(q, tileScales, tileZeros, in, out, x, xt, batch, sums, y, from, to);
        else QuantKernels.matmulInt8(q, scales, zeros, group, in, out, x, batch, y, from, to);
    }

    @Override
    protected void dequantRow(int r, float[] tmp, int off) {
        if (tiled) Int8Tiles.row(q, scales, zeros, in, r, tmp, off);
        else QuantKernels.dequantInt8Row(q, scales, zeros, group, in, groups, r, tmp, off);
    }
}
