package io.r1stream.engine.model;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matmul kernels of {@link Int8Linear} and {@link Q4Linear}: float32 activations, integer codes widened to
 * float32 in registers (JDK 17's Vector API has no int8 dot product, and C2 emits no VNNI for it).
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
 * <p>Layouts: int8 codes are signed bytes (code - 128), row-major (out, in). q4 codes are packed per row in
 * blocks of 2L inputs (L = float lanes, 16 with AVX-512): byte j of a block holds input j in its low nibble
 * and input j + L in its high nibble, so one L-byte load yields two float vectors of consecutive inputs.
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

    private QuantKernels() {}

    /** Inputs per packed q4 block (32 with AVX-512); in and group must be multiples of it for the vector kernels. */
    static int q4Block() { return 2 * L; }

    private static FloatVector i8(byte[] q, int off) {
        return (FloatVector) ByteVector.fromArray(B, q, off).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector lo(ByteVector b) {
        return (FloatVector) b.and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector hi(ByteVector b) {
        return (FloatVector) b.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0);
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
        int o = from;
        if (batch < 4) {
            for (; o + 4 <= to; o += 4) {
                for (int b = 0; b < batch; b++) {
                    if (z == null) int8Rows4(q, s, group, in, gs, x, b * in, y, b * out, o);
                    else int8Rows4Zp(q, s, z, group, in, gs, x, b * in, y, b * out, o);
                }
            }
        } else {
            float[] t = tile(4 * in);
            for (; o + 4 <= to; o += 4) {
                for (int r = 0; r < 4; r++) dequantInt8Row(q, s, z, group, in, gs, o + r, t, r * in);
                int b = 0;
                for (; b + 4 <= batch; b += 4) TiledMatmul.block4x4F32(t, 0, in, out, x, y, o, b);
                for (; b < batch; b++) TiledMatmul.block4x1F32(t, 0, in, out, x, y, o, b);
            }
        }
        if (o < to) {
            float[] t = tile(in);
            for (; o < to; o++) {
                dequantInt8Row(q, s, z, group, in, gs, o, t, 0);
                for (int b = 0; b < batch; b++) y[b * out + o] = VectorKernels.dot(t, 0, x, b * in, in);
            }
        }
    }

    /** Weight rows o..o+3, symmetric codes, one activation row. */
    private static void int8Rows4(byte[] q, float[] s, int group, int in, int gs, float[] x, int xOff, float[] y, int yOff, int o) {
        int r0 = o * in, r1 = r0 + in, r2 = r1 + in, r3 = r2 + in;
        int s0 = o * gs, s1 = s0 + gs, s2 = s1 + gs, s3 = s2 + gs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
            int c1 = Math.min(in, c0 + group);
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
            for (int c = c0; c < c1; c += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                p0 = ((FloatVector) ByteVector.fromArray(B, q, r0 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p0);
                p1 = ((FloatVector) ByteVector.fromArray(B, q, r1 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p1);
                p2 = ((FloatVector) ByteVector.fromArray(B, q, r2 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p2);
                p3 = ((FloatVector) ByteVector.fromArray(B, q, r3 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p3);
            }
            a0 = p0.fma(FloatVector.broadcast(F, s[s0 + g]), a0);
            a1 = p1.fma(FloatVector.broadcast(F, s[s1 + g]), a1);
            a2 = p2.fma(FloatVector.broadcast(F, s[s2 + g]), a2);
            a3 = p3.fma(FloatVector.broadcast(F, s[s3 + g]), a3);
        }
        y[yOff + o] = a0.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 1] = a1.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 2] = a2.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** Weight rows o..o+3 with zero points (z already minus 128), one activation row. */
    private static void int8Rows4Zp(byte[] q, float[] s, float[] z, int group, int in, int gs, float[] x, int xOff, float[] y, int yOff, int o) {
        int r0 = o * in, r1 = r0 + in, r2 = r1 + in, r3 = r2 + in;
        int s0 = o * gs, s1 = s0 + gs, s2 = s1 + gs, s3 = s2 + gs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
            int c1 = Math.min(in, c0 + group);
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0, xs = p0;
            for (int c = c0; c < c1; c += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                xs = xs.add(xv);
                p0 = ((FloatVector) ByteVector.fromArray(B, q, r0 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p0);
                p1 = ((FloatVector) ByteVector.fromArray(B, q, r1 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p1);
                p2 = ((FloatVector) ByteVector.fromArray(B, q, r2 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p2);
                p3 = ((FloatVector) ByteVector.fromArray(B, q, r3 + c).convertShape(VectorOperators.B2F, F, 0)).fma(xv, p3);
            }
            a0 = xs.fma(FloatVector.broadcast(F, -z[s0 + g]), p0).fma(FloatVector.broadcast(F, s[s0 + g]), a0);
            a1 = xs.fma(FloatVector.broadcast(F, -z[s1 + g]), p1).fma(FloatVector.broadcast(F, s[s1 + g]), a1);
            a2 = xs.fma(FloatVector.broadcast(F, -z[s2 + g]), p2).fma(FloatVector.broadcast(F, s[s2 + g]), a2);
            a3 = xs.fma(FloatVector.broadcast(F, -z[s3 + g]), p3).fma(FloatVector.broadcast(F, s[s3 + g]), a3);
        }
        y[yOff + o] = a0.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 1] = a1.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 2] = a2.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 3] = a3.reduceLanes(VectorOperators.ADD);
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

    // ------------------------------------------------------------------ q4

    /** y[b*out + o] = sum_c x[b*in + c] * W[o, c] for o in [from, to); W = s * (q - z), q packed nibbles. */
    static void matmulQ4(byte[] q, float[] s, float[] z, int group, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        int gs = (in + group - 1) / group;
        int o = from;
        if (batch < 4) {
            for (; o + 4 <= to; o += 4) {
                for (int b = 0; b < batch; b++) q4Rows4(q, s, z, group, in, gs, x, b * in, y, b * out, o);
            }
        } else {
            float[] t = tile(4 * in);
            for (; o + 4 <= to; o += 4) {
                for (int r = 0; r < 4; r++) dequantQ4Row(q, s, z, group, in, gs, o + r, t, r * in);
                int b = 0;
                for (; b + 4 <= batch; b += 4) TiledMatmul.block4x4F32(t, 0, in, out, x, y, o, b);
                for (; b < batch; b++) TiledMatmul.block4x1F32(t, 0, in, out, x, y, o, b);
            }
        }
        if (o < to) {
            float[] t = tile(in);
            for (; o < to; o++) {
                dequantQ4Row(q, s, z, group, in, gs, o, t, 0);
                for (int b = 0; b < batch; b++) y[b * out + o] = VectorKernels.dot(t, 0, x, b * in, in);
            }
        }
    }

    /** Weight rows o..o+3 (packed, in/2 bytes each), one activation row. */
    private static void q4Rows4(byte[] q, float[] s, float[] z, int group, int in, int gs, float[] x, int xOff, float[] y, int yOff, int o) {
        int rb = in / 2;
        int r0 = o * rb, r1 = r0 + rb, r2 = r1 + rb, r3 = r2 + rb;
        int s0 = o * gs, s1 = s0 + gs, s2 = s1 + gs, s3 = s2 + gs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
            int c1 = Math.min(in, c0 + group);
            FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0, xs = p0;
            for (int c = c0; c < c1; c += 2 * L) {
                FloatVector xl = FloatVector.fromArray(F, x, xOff + c), xh = FloatVector.fromArray(F, x, xOff + c + L);
                xs = xs.add(xl).add(xh);
                int bo = c / 2;
                ByteVector b0 = ByteVector.fromArray(B, q, r0 + bo);
                p0 = ((FloatVector) b0.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xh,
                        ((FloatVector) b0.and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xl, p0));
                ByteVector b1 = ByteVector.fromArray(B, q, r1 + bo);
                p1 = ((FloatVector) b1.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xh,
                        ((FloatVector) b1.and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xl, p1));
                ByteVector b2 = ByteVector.fromArray(B, q, r2 + bo);
                p2 = ((FloatVector) b2.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xh,
                        ((FloatVector) b2.and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xl, p2));
                ByteVector b3 = ByteVector.fromArray(B, q, r3 + bo);
                p3 = ((FloatVector) b3.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xh,
                        ((FloatVector) b3.and((byte) 0x0f).convertShape(VectorOperators.B2F, F, 0)).fma(xl, p3));
            }
            a0 = xs.fma(FloatVector.broadcast(F, -z[s0 + g]), p0).fma(FloatVector.broadcast(F, s[s0 + g]), a0);
            a1 = xs.fma(FloatVector.broadcast(F, -z[s1 + g]), p1).fma(FloatVector.broadcast(F, s[s1 + g]), a1);
            a2 = xs.fma(FloatVector.broadcast(F, -z[s2 + g]), p2).fma(FloatVector.broadcast(F, s[s2 + g]), a2);
            a3 = xs.fma(FloatVector.broadcast(F, -z[s3 + g]), p3).fma(FloatVector.broadcast(F, s[s3 + g]), a3);
        }
        y[yOff + o] = a0.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 1] = a1.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 2] = a2.reduceLanes(VectorOperators.ADD);
        y[yOff + o + 3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** Row o as float32 into t[tOff, tOff + in), stored column order. */
    static void dequantQ4Row(byte[] q, float[] s, float[] z, int group, int in, int gs, int o, float[] t, int tOff) {
        int r = o * (in / 2);
        for (int c0 = 0, g = 0; c0 < in; c0 += group, g++) {
            int c1 = Math.min(in, c0 + group);
            FloatVector sv = FloatVector.broadcast(F, s[o * gs + g]), zv = FloatVector.broadcast(F, z[o * gs + g]);
            for (int c = c0; c < c1; c += 2 * L) {
                ByteVector bv = ByteVector.fromArray(B, q, r + c / 2);
                lo(bv).sub(zv).mul(sv).intoArray(t, tOff + c);
                hi(bv).sub(zv).mul(sv).intoArray(t, tOff + c + L);
            }
        }
    }

    /** Packs (out, in) codes in [0, 16) into the q4 layout above; in must be a multiple of {@link #q4Block()}. */
    static byte[] packQ4(byte[] codes, int out, int in) {
        byte[] p = new byte[out * in / 2];
        for (int o = 0; o < out; o++) {
            for (int blk = 0; blk < in; blk += 2 * L) {
                int src = o * in + blk, dst = (o * in + blk) / 2;
                for (int j = 0; j < L; j++) p[dst + j] = (byte) ((codes[src + j] & 0x0f) | (codes[src + L + j] & 0x0f) << 4);
            }
        }
        return p;
    }
}
