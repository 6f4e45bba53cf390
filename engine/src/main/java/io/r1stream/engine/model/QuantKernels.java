package io.r1stream.engine.model;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row-major matmul kernels of grouped {@link Int8Linear} matrices ({@code int8:gN}, GPTQ 8-bit; per-row int8
 * and q4 run {@link Int8Tiles} and {@link Q4Tiles}): float32 activations, integer codes widened to float32 in
 * registers (JDK 17's Vector API has no int8 dot product, and C2 emits no VNNI for it).
 *
 * <p>Decoding (batch < 4) is bound by memory bandwidth, so it streams the codes once: 4 weight rows at a time
 * (4 independent accumulator chains hide the FMA latency) share each loaded activation vector, and each group
 * of inputs ends with one FMA by its scale. Zero points are folded out of the inner loop:
 * {@code sum (q - z) x = sum q x - z sum x}, with {@code sum x} taken once per group for the 4 rows.
 *
 * <p>Batches (prefill, batched decode) are bound by arithmetic: 4 weight rows are dequantized to float32 into
 * a small per-thread tile (4 x in floats, in L1/L2) and the float32 4x4 register-blocked kernel of
 * {@link TiledMatmul} applies them to every activation row, so the dequantization costs 1/batch per use.
 *
 * <p>Layout: int8 codes are signed bytes (code - 128), row-major (out, in).
 *
 * <p>The hot loops spell every conversion out instead of calling a helper: C2 does not inline a helper whose
 * own compiled code is large (InlineSmallCode), and an out-of-line vector helper boxes its vectors (measured
 * 3x slower on the Qwen2-0.5B shapes).
 */
final class QuantKernels {
    static final VectorSpecies<Float> F = VectorKernels.F;
    static final int L = F.length();
    /** L bytes: one float vector's worth of codes. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[0]);

    private QuantKernels() {}

    static {
        // Run every kernel once (interpreted) so that all the Vector API classes they touch (Int512Vector, its
        // masks and shuffles, ...) are loaded and initialized before C2 compiles them: C2 applies a vector
        // intrinsic only when those classes are initialized, and a kernel compiled before then kept the boxed
        // fallback (measured: q4 decode at 1-4 tokens/s in about one run in four, 25+ otherwise).
        int in = 8 * L + 2 * L, out = 4;
        byte[] q8 = new byte[out * in];
        float[] s = new float[out * (in / (2 * L))], z = new float[s.length], x = new float[PanelMatmul.MIN_BATCH * in];
        float[] y = new float[PanelMatmul.MIN_BATCH * out];
        for (int batch : new int[] {1, 2, 4, PanelMatmul.MIN_BATCH}) {
            matmulInt8(q8, new float[out], null, in, in, out, x, batch, y, 0, out);
            matmulInt8(q8, s, z, 2 * L, in, out, x, batch, y, 0, out);
        }
    }

    private static FloatVector i8(byte[] q, int off) {
        return (FloatVector) ByteVector.fromArray(B, q, off).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float[] tile(int n) {
        float[] t = TILE.get();
        if (t.length < n) {
            t = new float[n];
            TILE.set(t);
        }
        return t;
    }

    // ------------------------------------------------------------------ int8

    /** y[b*out + o] = sum_c x[b*in + c] * W[o, c] for o in [from, to); W = s * (q - z), q signed (code - 128). */
    static void matmulInt8(byte[] q, float[] s, float[] z, int group, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        int gs = (in + group - 1) / group;
        if (batch < 4) {
            // one weight row at a time: a single sequential stream is what the memory system serves fastest (measured
            // 27 GB/s on 136 MB of codes, against 12 GB/s for 4 rows read side by side); the row stays in L1 for the
            // other activation rows
            if (batch == 1 && z == null && group == in && in % (4 * L) == 0) {
                int8RowsPerRowScale(q, s, in, x, y, from, to);
                return;
            }
            float[] sums = z == null ? null : groupSums(x, batch, in, group, gs);
            for (int o = from; o < to; o++) {
                for (int b = 0; b < batch; b++) y[b * out + o] = int8Row(q, s, z, sums, group, in, gs, x, b, o);
            }
            return;
        }
        batched((r, dst, off) -> dequantInt8Row(q, s, z, group, in, gs, r, dst, off), in, out, x, batch, y, from, to);
    }

    /**
     * Batches (4 rows and more) of either format, from its rows dequantized to float32: prefill through the panel
     * kernel, smaller batches through 4-row tiles and the 4x4 register blocks (dequantization costs 1/batch per
     * use either way).
     */
    private static void batched(PanelMatmul.RowSource rows, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        if (batch >= PanelMatmul.MIN_BATCH) { // prefill: each weight dequantized once into a float32 panel
            PanelMatmul.matmul(rows, in, out, x, batch, y, from, to);
            return;
        }
        float[] t = tile(4 * in);
        int o = from;
        for (; o + 4 <= to; o += 4) {
            for (int r = 0; r < 4; r++) rows.row(o + r, t, r * in);
            int b = 0;
            for (; b + 4 <= batch; b += 4) TiledMatmul.block4x4F32(t, 0, in, out, x, y, o, b);
            for (; b < batch; b++) TiledMatmul.block4x1F32(t, 0, in, out, x, y, o, b);
        }
        for (; o < to; o++) {
            rows.row(o, t, 0);
            for (int b = 0; b < batch; b++) y[b * out + o] = VectorKernels.dot(t, 0, x, b * in, in);
        }
    }

    /**
     * The common decode case (batch 1, symmetric, one scale per row) spelled out on its own: C2 compiles this loop
     * ~20% faster than the general one (constant activation offset, no group or tail loop).
     */
    private static void int8RowsPerRowScale(byte[] q, float[] s, int in, float[] x, float[] y, int from, int to) {
        for (int o = from; o < to; o++) {
            int r = o * in;
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
            for (int c = 0; c < in; c += 4 * L) {
                p0 = ((FloatVector) ByteVector.fromArray(B, q, r + c).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c), p0);
                p1 = ((FloatVector) ByteVector.fromArray(B, q, r + c + L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + L), p1);
                p2 = ((FloatVector) ByteVector.fromArray(B, q, r + c + 2 * L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 2 * L), p2);
                p3 = ((FloatVector) ByteVector.fromArray(B, q, r + c + 3 * L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 3 * L), p3);
            }
            y[o] = p0.add(p1).add(p2.add(p3)).reduceLanes(VectorOperators.ADD) * s[o];
        }
    }

    /**
     * Row o times activation row b: 4 accumulator chains over consecutive vectors of a group, one FMA by the
     * group's scale at its end; zero points as {@code - sum_g s_g z_g sum(x over g)} with the group sums of x
     * precomputed ({@code sums}, (batch, gs)).
     */
    private static float int8Row(byte[] q, float[] s, float[] z, float[] sums, int group, int in, int gs, float[] x, int b, int o) {
        int r = o * in, xOff = b * in, so = o * gs;
        FloatVector acc = FloatVector.zero(F);
        for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
            int c1 = Math.min(in, c0 + group);
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
            int c = c0;
            for (; c + 4 * L <= c1; c += 4 * L) {
                p0 = ((FloatVector) ByteVector.fromArray(B, q, r + c).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + c), p0);
                p1 = ((FloatVector) ByteVector.fromArray(B, q, r + c + L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + c + L), p1);
                p2 = ((FloatVector) ByteVector.fromArray(B, q, r + c + 2 * L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + c + 2 * L), p2);
                p3 = ((FloatVector) ByteVector.fromArray(B, q, r + c + 3 * L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + c + 3 * L), p3);
            }
            for (; c < c1; c += L) {
                p0 = ((FloatVector) ByteVector.fromArray(B, q, r + c).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xOff + c), p0);
            }
            acc = p0.add(p1).add(p2.add(p3)).fma(FloatVector.broadcast(F, s[so + g]), acc);
        }
        float dot = acc.reduceLanes(VectorOperators.ADD);
        return z == null ? dot : dot - zeroTerm(s, z, so, sums, b * gs, gs);
    }

    /** sum_g s_g z_g sums_g over a row's groups, vectorized over groups. */
    private static float zeroTerm(float[] s, float[] z, int sOff, float[] sums, int sumOff, int gs) {
        FloatVector v = FloatVector.zero(F);
        int g = 0;
        for (; g + L <= gs; g += L) {
            v = FloatVector.fromArray(F, s, sOff + g).mul(FloatVector.fromArray(F, z, sOff + g)).fma(FloatVector.fromArray(F, sums, sumOff + g), v);
        }
        float t = v.reduceLanes(VectorOperators.ADD);
        for (; g < gs; g++) t += s[sOff + g] * z[sOff + g] * sums[sumOff + g];
        return t;
    }

    /** Per activation row, the sum of x over each group of inputs: (batch, gs), in a per-thread buffer. */
    private static float[] groupSums(float[] x, int batch, int in, int group, int gs) {
        float[] sums = SUMS.get();
        if (sums.length < batch * gs) {
            sums = new float[batch * gs];
            SUMS.set(sums);
        }
        for (int b = 0; b < batch; b++) {
            for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
                int c1 = Math.min(in, c0 + group);
                FloatVector v = FloatVector.zero(F);
                for (int c = c0; c < c1; c += L) v = v.add(FloatVector.fromArray(F, x, b * in + c));
                sums[b * gs + g] = v.reduceLanes(VectorOperators.ADD);
            }
        }
        return sums;
    }

    /** Row o as float32 into t[tOff, tOff + in), stored column order. */
    static void dequantInt8Row(byte[] q, float[] s, float[] z, int group, int in, int gs, int o, float[] t, int tOff) {
        int r = o * in;
        for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
            int c1 = Math.min(in, c0 + group);
            float sc = s[o * gs + g], zp = z == null ? 0f : z[o * gs + g];
            FloatVector sv = FloatVector.broadcast(F, sc), zv = FloatVector.broadcast(F, zp);
            for (int c = c0; c < c1; c += L) i8(q, r + c).sub(zv).mul(sv).intoArray(t, tOff + c);
        }
    }
}
