package io.r1stream.engine.model;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * int8 codes with one scale per output row, repacked at load into column tiles: L consecutive output rows
 * (L = float lanes, 16 with AVX-512) form a tile stored input-major, so the L bytes at
 * {@code (tile * in + i) * L} are input i of the tile's L rows, and one byte load widened to floats is one
 * vector of L output rows. Every kernel is then an outer product (activation broadcast, FMA into accumulators
 * whose lanes are output rows): no horizontal sum per row, no dequantized copy of the weights, and the per-row
 * scale multiplies the finished accumulator once.
 *
 * <p>Measured on the Qwen2-0.5B shapes against the row-major kernels (harness, 1 thread, weights out of
 * cache): 896 -> 4864 at batch 1 0.18 vs 0.26 ms, batch 16 0.99 vs 2.24 ms (142 against 62 GFLOPS), batch 128
 * 6.4 vs 15.6 ms (175 against 72 GFLOPS; the core's FMA peak is ~183).
 *
 * <p>Rows past {@code out} in the last tile hold code 0 and scale 0; a partial tile is computed into a scratch
 * tile and its valid rows copied, so y is never written past its (batch, out) rows.
 */
final class Int8Tiles {
    static final VectorSpecies<Float> F = VectorKernels.F;
    static final int L = F.length();
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final ThreadLocal<float[]> PARTIAL = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[0]);

    private Int8Tiles() {}

    static {
        // compiled with the Vector API classes initialized (see QuantKernels' static block)
        int in = 4 * L, out = 3 * L;
        byte[] t = tile(new byte[out * in], out, in);
        float[] s = new float[tiles(out) * L], x = new float[9 * in], y = new float[9 * out];
        for (int batch : new int[] {1, 2, 9}) {
            matmul(t, s, null, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
            matmul(t, s, s, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
        }
    }

    static int tiles(int out) { return (out + L - 1) / L; }

    /** Row-major (out, in) codes into column tiles: (tiles(out), in, L), rows past out zero. */
    static byte[] tile(byte[] q, int out, int in) {
        byte[] t = new byte[tiles(out) * in * L];
        for (int o = 0; o < out; o++) {
            int base = (o / L) * in * L + o % L, row = o * in;
            for (int i = 0; i < in; i++) t[base + i * L] = q[row + i];
        }
        return t;
    }

    /** (out) per-row floats padded with zeros to whole tiles. */
    static float[] padRows(float[] v, int out) {
        float[] p = new float[tiles(out) * L];
        System.arraycopy(v, 0, p, 0, out);
        return p;
    }

    /** Row o as float32 s_o * (q - z_o) into dst[off, off + in): a strided gather (embedding lookups only). */
    static void row(byte[] t, float[] s, float[] z, int in, int o, float[] dst, int off) {
        int base = (o / L) * in * L + o % L;
        float sc = s[o], zp = z == null ? 0f : z[o];
        for (int i = 0; i < in; i++) dst[off + i] = sc * (t[base + i * L] - zp);
    }

    /**
     * y[b*out + o] = s_o * sum_i (q[o, i] - z_o) x[b*in + i] for o in [from, to), from a multiple of L; s and z
     * (zero points, signed like the codes; null when symmetric) padded to whole tiles.
     */
    static void matmul(byte[] t, float[] s, float[] z, int in, int out, float[] x, float[] xt, int batch, float[] y, int from, int to) {
        float[] sums = z == null ? null : rowSums(x, batch, in);
        int o = from;
        if (batch == 1) {
            for (; o + 4 * L <= to; o += 4 * L) decode4(t, s, z, sums, in, x, y, o);
            for (; o + 2 * L <= to; o += 2 * L) decode2(t, s, z, sums, in, x, y, o);
            for (; o + L <= to; o += L) decode(t, s, z, sums, in, x, y, o, o);
        } else {
            for (; o + 2 * L <= to; o += 2 * L) {
                int b = 0;
                for (; b + 8 <= batch; b += 8) block8x2(t, s, z, sums, in, out, xt, b, y, o);
                for (; b < batch; b++) {
                    single(t, s, z, sums, in, x, b, y, b * out + o, o);
                    single(t, s, z, sums, in, x, b, y, b * out + o + L, o + L);
                }
            }
            for (; o + L <= to; o += L) for (int b = 0; b < batch; b++) single(t, s, z, sums, in, x, b, y, b * out + o, o);
        }
        if (o < to) { // the partial last tile
            float[] p = PARTIAL.get();
            if (p.length < L) PARTIAL.set(p = new float[L]);
            for (int b = 0; b < batch; b++) {
                single(t, s, z, sums, in, x, b, p, 0, o);
                System.arraycopy(p, 0, y, b * out + o, to - o);
            }
        }
    }

    /** sum_i x[b*in + i] per activation row (the zero-point term), in a per-thread buffer. */
    private static float[] rowSums(float[] x, int batch, int in) {
        float[] sums = SUMS.get();
        if (sums.length < batch) SUMS.set(sums = new float[batch]);
        for (int b = 0; b < batch; b++) {
            FloatVector v = FloatVector.zero(F);
            for (int i = 0; i < in; i += L) v = v.add(FloatVector.fromArray(F, x, b * in + i));
            sums[b] = v.reduceLanes(VectorOperators.ADD);
        }
        return sums;
    }

    /** The tile at row o times activation row 0 into y[yOff, yOff + L): 4 chains over inputs i mod 4. */
    private static void decode(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, float[] y, int yOff, int o) {
        int p = (o / L) * in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 <= in; i += 4, p += 4 * L) {
            a0 = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[i]), a0);
            a1 = ((FloatVector) ByteVector.fromArray(B, t, p + L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[i + 1]), a1);
            a2 = ((FloatVector) ByteVector.fromArray(B, t, p + 2 * L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[i + 2]), a2);
            a3 = ((FloatVector) ByteVector.fromArray(B, t, p + 3 * L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[i + 3]), a3);
        }
        for (; i < in; i++, p += L) {
            a0 = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[i]), a0);
        }
        FloatVector acc = a0.add(a1).add(a2.add(a3));
        if (z != null) acc = acc.sub(FloatVector.fromArray(F, z, o).mul(sums[0]));
        acc.mul(FloatVector.fromArray(F, s, o)).intoArray(y, yOff);
    }

    /**
     * Tiles at rows o .. o + 4L times activation row 0: four code streams at once. One core's decode is bound by
     * how many cache-line misses it keeps in flight, not by the FMAs: on the 151936 x 896 lm_head (136 MB, out of
     * cache, 1 thread) one tile at a time read 10.2 GB/s, two 13 GB/s, four 15.4 GB/s (the core's streaming read
     * rate is 16).
     */
    private static void decode4(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, float[] y, int o) {
        int p = (o / L) * in * L, q = p + in * L, r = q + in * L, w = r + in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        for (int i = 0; i < in; i += 2, p += 2 * L, q += 2 * L, r += 2 * L, w += 2 * L) {
            FloatVector v = FloatVector.broadcast(F, x[i]), u = FloatVector.broadcast(F, x[i + 1]);
            a0 = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(v, a0);
            b0 = ((FloatVector) ByteVector.fromArray(B, t, q).convertShape(VectorOperators.B2F, F, 0)).fma(v, b0);
            c0 = ((FloatVector) ByteVector.fromArray(B, t, r).convertShape(VectorOperators.B2F, F, 0)).fma(v, c0);
            d0 = ((FloatVector) ByteVector.fromArray(B, t, w).convertShape(VectorOperators.B2F, F, 0)).fma(v, d0);
            a1 = ((FloatVector) ByteVector.fromArray(B, t, p + L).convertShape(VectorOperators.B2F, F, 0)).fma(u, a1);
            b1 = ((FloatVector) ByteVector.fromArray(B, t, q + L).convertShape(VectorOperators.B2F, F, 0)).fma(u, b1);
            c1 = ((FloatVector) ByteVector.fromArray(B, t, r + L).convertShape(VectorOperators.B2F, F, 0)).fma(u, c1);
            d1 = ((FloatVector) ByteVector.fromArray(B, t, w + L).convertShape(VectorOperators.B2F, F, 0)).fma(u, d1);
        }
        FloatVector sa = a0.add(a1), sb = b0.add(b1), sc = c0.add(c1), sd = d0.add(d1);
        if (z != null) {
            sa = sa.sub(FloatVector.fromArray(F, z, o).mul(sums[0]));
            sb = sb.sub(FloatVector.fromArray(F, z, o + L).mul(sums[0]));
            sc = sc.sub(FloatVector.fromArray(F, z, o + 2 * L).mul(sums[0]));
            sd = sd.sub(FloatVector.fromArray(F, z, o + 3 * L).mul(sums[0]));
        }
        sa.mul(FloatVector.fromArray(F, s, o)).intoArray(y, o);
        sb.mul(FloatVector.fromArray(F, s, o + L)).intoArray(y, o + L);
        sc.mul(FloatVector.fromArray(F, s, o + 2 * L)).intoArray(y, o + 2 * L);
        sd.mul(FloatVector.fromArray(F, s, o + 3 * L)).intoArray(y, o + 3 * L);
    }

    /** Tiles at rows o and o + L times activation row 0: two code streams at once, 2 chains each. */
    private static void decode2(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, float[] y, int o) {
        int p = (o / L) * in * L, q = p + in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int i = 0; i < in; i += 2, p += 2 * L, q += 2 * L) { // in is a multiple of L
            FloatVector v = FloatVector.broadcast(F, x[i]), u = FloatVector.broadcast(F, x[i + 1]);
            a0 = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(v, a0);
            b0 = ((FloatVector) ByteVector.fromArray(B, t, q).convertShape(VectorOperators.B2F, F, 0)).fma(v, b0);
            a1 = ((FloatVector) ByteVector.fromArray(B, t, p + L).convertShape(VectorOperators.B2F, F, 0)).fma(u, a1);
            b1 = ((FloatVector) ByteVector.fromArray(B, t, q + L).convertShape(VectorOperators.B2F, F, 0)).fma(u, b1);
        }
        FloatVector acc = a0.add(a1), bcc = b0.add(b1);
        if (z != null) {
            acc = acc.sub(FloatVector.fromArray(F, z, o).mul(sums[0]));
            bcc = bcc.sub(FloatVector.fromArray(F, z, o + L).mul(sums[0]));
        }
        acc.mul(FloatVector.fromArray(F, s, o)).intoArray(y, o);
        bcc.mul(FloatVector.fromArray(F, s, o + L)).intoArray(y, o + L);
    }

    /** The tile at row o times activation row b into y[yOff, yOff + L). */
    private static void single(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, int b, float[] y, int yOff, int o) {
        int p = (o / L) * in * L, xo = b * in;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 <= in; i += 2, p += 2 * L) {
            a0 = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xo + i]), a0);
            a1 = ((FloatVector) ByteVector.fromArray(B, t, p + L).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xo + i + 1]), a1);
        }
        if (i < in) a0 = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xo + i]), a0);
        FloatVector acc = a0.add(a1);
        if (z != null) acc = acc.sub(FloatVector.fromArray(F, z, o).mul(sums[b]));
        acc.mul(FloatVector.fromArray(F, s, o)).intoArray(y, yOff);
    }

    /**
     * Tiles at rows o and o + L (2L rows) times activation rows b..b+7: per input 2 code loads, 8 broadcasts and
     * 16 FMAs into 16 accumulators; the 3 live vectors and 16 accumulators fit AVX-512's 32 registers.
     */
    private static void block8x2(byte[] t, float[] s, float[] z, float[] sums, int in, int out, float[] xt, int b, float[] y, int o) {
        int p0 = (o / L) * in * L, p1 = p0 + in * L;
        int x0 = b * in; // SequenceBlocks layout
        FloatVector zero = FloatVector.zero(F);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero, c50 = zero, c51 = zero, c60 = zero, c61 = zero, c70 = zero, c71 = zero;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = (FloatVector) ByteVector.fromArray(B, t, p0 + i * L).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromArray(B, t, p1 + i * L).convertShape(VectorOperators.B2F, F, 0);
            FloatVector v = FloatVector.broadcast(F, xt[x0 + 8 * i + 0]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 1]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 2]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 3]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 4]);
            c40 = w0.fma(v, c40);
            c41 = w1.fma(v, c41);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 5]);
            c50 = w0.fma(v, c50);
            c51 = w1.fma(v, c51);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 6]);
            c60 = w0.fma(v, c60);
            c61 = w1.fma(v, c61);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 7]);
            c70 = w0.fma(v, c70);
            c71 = w1.fma(v, c71);
        }
        if (z != null) { // subtract z_o * sum(x_b) per row
            FloatVector z0 = FloatVector.fromArray(F, z, o), z1 = FloatVector.fromArray(F, z, o + L);
            c00 = z0.fma(FloatVector.broadcast(F, -sums[b]), c00);
            c01 = z1.fma(FloatVector.broadcast(F, -sums[b]), c01);
            c10 = z0.fma(FloatVector.broadcast(F, -sums[b + 1]), c10);
            c11 = z1.fma(FloatVector.broadcast(F, -sums[b + 1]), c11);
            c20 = z0.fma(FloatVector.broadcast(F, -sums[b + 2]), c20);
            c21 = z1.fma(FloatVector.broadcast(F, -sums[b + 2]), c21);
            c30 = z0.fma(FloatVector.broadcast(F, -sums[b + 3]), c30);
            c31 = z1.fma(FloatVector.broadcast(F, -sums[b + 3]), c31);
            c40 = z0.fma(FloatVector.broadcast(F, -sums[b + 4]), c40);
            c41 = z1.fma(FloatVector.broadcast(F, -sums[b + 4]), c41);
            c50 = z0.fma(FloatVector.broadcast(F, -sums[b + 5]), c50);
            c51 = z1.fma(FloatVector.broadcast(F, -sums[b + 5]), c51);
            c60 = z0.fma(FloatVector.broadcast(F, -sums[b + 6]), c60);
            c61 = z1.fma(FloatVector.broadcast(F, -sums[b + 6]), c61);
            c70 = z0.fma(FloatVector.broadcast(F, -sums[b + 7]), c70);
            c71 = z1.fma(FloatVector.broadcast(F, -sums[b + 7]), c71);
        }
        FloatVector s0 = FloatVector.fromArray(F, s, o), s1 = FloatVector.fromArray(F, s, o + L);
        int r = b * out + o;
        c00.mul(s0).intoArray(y, r);
        c01.mul(s1).intoArray(y, r + L);
        r += out;
        c10.mul(s0).intoArray(y, r);
        c11.mul(s1).intoArray(y, r + L);
        r += out;
        c20.mul(s0).intoArray(y, r);
        c21.mul(s1).intoArray(y, r + L);
        r += out;
        c30.mul(s0).intoArray(y, r);
        c31.mul(s1).intoArray(y, r + L);
        r += out;
        c40.mul(s0).intoArray(y, r);
        c41.mul(s1).intoArray(y, r + L);
        r += out;
        c50.mul(s0).intoArray(y, r);
        c51.mul(s1).intoArray(y, r + L);
        r += out;
        c60.mul(s0).intoArray(y, r);
        c61.mul(s1).intoArray(y, r + L);
        r += out;
        c70.mul(s0).intoArray(y, r);
        c71.mul(s1).intoArray(y, r + L);
    }
}
