package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill kernel of the quantized formats: 32 weight rows at a time are written, as float32, into a panel
 * (in, 32) in which one input column of the 32 rows is two consecutive vectors; 8 activation rows then run over it
 * as an outer product (per input: 2 vector loads, 8 broadcasts, 16 FMAs into 16 register accumulators whose lanes
 * are output rows). Unlike a dot-product block no horizontal sum is left per output, and each weight is
 * dequantized once per call instead of once per use. Measured on the Qwen2-0.5B MLP shapes at 128 tokens: 110 GFLOPS
 * against 95 for the 4x4 dot-product block (one core's FMA peak here: 183). (bf16 and f32 keep their 4x4 blocks: for
 * them the panel showed no gain end to end in alternating runs, inside this machine's 90-122 prefill tokens/s spread.)
 *
 * <p>Used from {@link #MIN_BATCH} activation rows up, where building the panel (32 x in scalar stores) is small
 * next to its use; decoding and small batches keep the row-streaming kernels.
 */
final class PanelMatmul {
    static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();
    /** Output rows per panel: two float vectors. */
    static final int ROWS = 2 * L;
    /** Activation rows from which the panel kernel pays for its panel. */
    static final int MIN_BATCH = 32;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    /** Writes dequantized (or widened) weight row {@code o} as float32 into dst[off, off + in). */
    @FunctionalInterface
    interface RowSource {
        void row(int o, float[] dst, int off);
    }

    private PanelMatmul() {}

    /** y[b*out + o] = dot(x row b, W row o) for o in [from, to), every b in [0, batch). */
    static void matmul(RowSource w, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        float[][] s = SCRATCH.get();
        if (s[0].length < in * ROWS) s[0] = new float[in * ROWS];
        if (s[1].length < in) s[1] = new float[in];
        if (s[2].length < 8 * ROWS) s[2] = new float[8 * ROWS];
        float[] panel = s[0], row = s[1], partial = s[2];
        for (int o0 = from; o0 < to; o0 += ROWS) {
            int rows = Math.min(ROWS, to - o0);
            for (int r = 0; r < rows; r++) {
                w.row(o0 + r, row, 0);
                for (int i = 0; i < in; i++) panel[i * ROWS + r] = row[i];
            }
            for (int r = rows; r < ROWS; r++) for (int i = 0; i < in; i++) panel[i * ROWS + r] = 0f;
            boolean whole = rows == ROWS;
            int b = 0;
            for (; b + 8 <= batch; b += 8) {
                if (whole) {
                    block8(panel, in, x, b, y, b * out + o0, out);
                } else { // the last rows of a slice: computed whole into a scratch tile, the valid ones copied
                    block8(panel, in, x, b, partial, 0, ROWS);
                    for (int k = 0; k < 8; k++) System.arraycopy(partial, k * ROWS, y, (b + k) * out + o0, rows);
                }
            }
            for (; b < batch; b++) {
                if (whole) {
                    block1(panel, in, x, b, y, b * out + o0);
                } else {
                    block1(panel, in, x, b, partial, 0);
                    System.arraycopy(partial, 0, y, b * out + o0, rows);
                }
            }
        }
    }

    /** Activation rows b..b+7 times the panel into y rows {@code stride} apart from {@code yOff}. */
    private static void block8(float[] t, int in, float[] x, int b, float[] y, int yOff, int stride) {
        int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in, x6 = x5 + in, x7 = x6 + in;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = FloatVector.fromArray(F, t, i * ROWS), w1 = FloatVector.fromArray(F, t, i * ROWS + L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + i]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            v = FloatVector.broadcast(F, x[x1 + i]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            v = FloatVector.broadcast(F, x[x2 + i]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            v = FloatVector.broadcast(F, x[x3 + i]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            v = FloatVector.broadcast(F, x[x4 + i]);
            c40 = w0.fma(v, c40);
            c41 = w1.fma(v, c41);
            v = FloatVector.broadcast(F, x[x5 + i]);
            c50 = w0.fma(v, c50);
            c51 = w1.fma(v, c51);
            v = FloatVector.broadcast(F, x[x6 + i]);
            c60 = w0.fma(v, c60);
            c61 = w1.fma(v, c61);
            v = FloatVector.broadcast(F, x[x7 + i]);
            c70 = w0.fma(v, c70);
            c71 = w1.fma(v, c71);
        }
        // stores take a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        c00.add(FloatVector.zero(F)).intoArray(y, yOff);
        c01.add(FloatVector.zero(F)).intoArray(y, yOff + L);
        c10.add(FloatVector.zero(F)).intoArray(y, yOff + stride);
        c11.add(FloatVector.zero(F)).intoArray(y, yOff + stride + L);
        c20.add(FloatVector.zero(F)).intoArray(y, yOff + 2 * stride);
        c21.add(FloatVector.zero(F)).intoArray(y, yOff + 2 * stride + L);
        c30.add(FloatVector.zero(F)).intoArray(y, yOff + 3 * stride);
        c31.add(FloatVector.zero(F)).intoArray(y, yOff + 3 * stride + L);
        c40.add(FloatVector.zero(F)).intoArray(y, yOff + 4 * stride);
        c41.add(FloatVector.zero(F)).intoArray(y, yOff + 4 * stride + L);
        c50.add(FloatVector.zero(F)).intoArray(y, yOff + 5 * stride);
        c51.add(FloatVector.zero(F)).intoArray(y, yOff + 5 * stride + L);
        c60.add(FloatVector.zero(F)).intoArray(y, yOff + 6 * stride);
        c61.add(FloatVector.zero(F)).intoArray(y, yOff + 6 * stride + L);
        c70.add(FloatVector.zero(F)).intoArray(y, yOff + 7 * stride);
        c71.add(FloatVector.zero(F)).intoArray(y, yOff + 7 * stride + L);
    }

    /** One activation row times the panel. */
    private static void block1(float[] t, int in, float[] x, int b, float[] y, int yOff) {
        int x0 = b * in;
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int i = 0; i < in; i++) {
            FloatVector v = FloatVector.broadcast(F, x[x0 + i]);
            c0 = FloatVector.fromArray(F, t, i * ROWS).fma(v, c0);
            c1 = FloatVector.fromArray(F, t, i * ROWS + L).fma(v, c1);
        }
        // stores take a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        c0.add(FloatVector.zero(F)).intoArray(y, yOff);
        c1.add(FloatVector.zero(F)).intoArray(y, yOff + L);
    }
}
