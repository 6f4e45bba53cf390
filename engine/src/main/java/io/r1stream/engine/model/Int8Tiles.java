package io.r1stream.engine.model;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * int8 codes with one scale per output row, repacked at load into column tiles: L consecutive output rows
 * (L = float lanes, 16 with AVX-512) form a tile stored input-major, so the L bytes at
 * {@link #at at(tile, i, in)} are input i of the tile's L rows, and one byte load widened to floats is one
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

    /** Tiles interleaved input by input (see {@link #at}); the matmul's row chunks are whole groups of them. */
    static final int GROUP = 8;
    /** Elements from input i to input i + 1 of one tile. */
    static final int STRIDE = GROUP * L;
    /**
     * Inputs per pass of {@link #groupBlocks}: a whole group's 256 inputs are 32 KiB of codes, in L1 with the
     * activations (in-JVM A/B on 9728 x 896, batch 16 and 128: 128 inputs 0.98x-1.07x, 256 1.05x-1.08x, 64 0.88x-1.00x).
     */
    private static final int CHUNK = 256; // before the warm-up block below, like every constant it reads

    static {
        // compiled with the Vector API classes initialized (see QuantKernels' static block)
        int in = 4 * L, out = 11 * L; // a group, a pair and a single tile
        byte[] t = tile(new byte[out * in], out, in);
        float[] s = new float[tiles(out) * L], x = new float[9 * in], y = new float[9 * out];
        for (int batch : new int[] {1, 2, 5, 9}) {
            matmul(t, s, null, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
            matmul(t, s, s, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
        }
    }

    static int tiles(int out) { return (out + L - 1) / L; }

    /**
     * Index of input i of tile {@code tile}: groups of {@link #GROUP} tiles interleaved input by input, (tiles/8, in,
     * 8, L). Decode reads 8 tiles at a time; stored tile after tile, that was 8 streams of in x 16 bytes restarting
     * every call, which the hardware prefetcher follows badly; interleaved, a call reads one stream and the calls
     * follow each other. In-JVM A/B, AMD EPYC (Zen 5), 1 thread, weights from memory: 25 -> 30-37 G weights/s on
     * the Qwen2-0.5B shapes (groups of 4, two streams per call: +3-13% at in = 896).
     */
    static int at(int tile, int i, int in) { return at(tile, i, in, GROUP); }

    /** The interleaved index for any group size (bf16 tiles use groups of 1: tile after tile). */
    static int at(int tile, int i, int in, int group) { return ((tile / group * in + i) * group + tile % group) * L; }

    /** Row-major (out, in) codes into column tiles laid out as {@link #at} says, rows past out and padding tiles zero. */
    static byte[] tile(byte[] q, int out, int in) {
        byte[] t = new byte[(tiles(out) + GROUP - 1) / GROUP * GROUP * in * L];
        for (int o = 0; o < out; o++) {
            int base = at(o / L, 0, in) + o % L, row = o * in;
            for (int i = 0; i < in; i++) t[base + i * STRIDE] = q[row + i];
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
        int base = at(o / L, 0, in) + o % L;
        float sc = s[o], zp = z == null ? 0f : z[o];
        for (int i = 0; i < in; i++) dst[off + i] = sc * (t[base + i * STRIDE] - zp);
    }

    /**
     * y[b*out + o] = s_o * sum_i (q[o, i] - z_o) x[b*in + i] for o in [from, to), from a multiple of GROUP * L; s and z
     * (zero points, signed like the codes; null when symmetric) padded to whole tiles. Every path computes each
     * output the same way (one FMA chain per sequence and tile over i in order, then fma(z, -sum x), then times s),
     * so a sequence's result does not depend on the batch it shares a step with.
     */
    static void matmul(byte[] t, float[] s, float[] z, int in, int out, float[] x, float[] xt, int batch, float[] y, int from, int to) {
        matmul(t, s, z, in, out, x, xt, batch, z == null ? null : rowSums(x, batch, in), y, from, to);
    }

    /** As above with the zero-point sums ({@link #rowSums}, null when z is) computed once per matmul by the caller. */
    static void matmul(byte[] t, float[] s, float[] z, int in, int out, float[] x, float[] xt, int batch, float[] sums, float[] y,
                       int from, int to) {
        int whole = to - (to - from) % L, o = from;
        // whole groups at every in: the 3-tile blocks bf16 runs for in > 1024 (Bf16Tiles.matmul) straddle the
        // interleaved groups, and the group-at-a-time chunks already keep the activations in L1 (bench kernels,
        // 896 x 4864, alternating: batch 8 97-109 -> 134-136 GFLOP/s at 1 thread, 121-123 -> 170-189 at 2)
        int blocked = Bf16Tiles.blockedRows(batch, false);
        if (blocked > 0) {
            int touched = -1;
            if (blocked >= 8) for (; o + GROUP * L <= to; o += GROUP * L) {
                touched = ahead(t, in, o + GROUP * L - 1, to, touched);
                groupBlocks(t, s, z, sums, in, out, xt, blocked & ~7, y, o);
                for (int b = blocked & ~7; b < blocked; b += 4) {
                    for (int k = 0; k < GROUP; k += 2) block4x2(t, s, z, sums, in, out, x, b, y, o + k * L);
                }
            }
            for (; o + 2 * L <= to; o += 2 * L) {
                touched = ahead(t, in, o + 2 * L - 1, to, touched);
                int b = 0;
                for (; b + 8 <= blocked; b += 8) pair8(t, s, z, sums, in, out, xt, b, y, o);
                for (; b < blocked; b += 4) block4x2(t, s, z, sums, in, out, x, b, y, o);
            }
            for (; o < whole; o += L) for (int b = 0; b < blocked; b++) single(t, s, z, sums, in, x, b, y, b * out + o, o);
        }
        rowTiles(t, s, z, sums, in, out, x, blocked, batch, y, from, whole);
        if (whole < to) { // the partial last tile
            float[] p = PARTIAL.get();
            if (p.length < L) PARTIAL.set(p = new float[L]);
            for (int b = 0; b < batch; b++) {
                single(t, s, z, sums, in, x, b, p, 0, whole);
                System.arraycopy(p, 0, y, b * out + whole, to - whole);
            }
        }
    }

    /**
     * Activation rows [first, batch) times the whole tiles at rows [from, to): eight tiles per call, then four, then
     * one, each its own chain (the same chain as the register blocks'), every row over a group of tiles before the
     * next group, so the group is read from memory once. The kernels of decode (first = 0, batch = 1), of batches of
     * 2-3 and of the sequences past the blocks; these ran one chain per call before ({@code single}), at the FMA
     * latency: a batch of 3 took 7x as long as a batch of 1 in int8 (harness, 9728 x 896).
     */
    private static void rowTiles(byte[] t, float[] s, float[] z, float[] sums, int in, int out, float[] x, int first, int batch, float[] y, int from, int to) {
        int o = from;
        for (; o + 8 * L <= to; o += 8 * L) for (int b = first; b < batch; b++) decode8(t, s, z, sums, in, x, b, y, b * out + o, o);
        for (; o + 4 * L <= to; o += 4 * L) for (int b = first; b < batch; b++) decode4(t, s, z, sums, in, x, b, y, b * out + o, o);
        for (; o < to; o += L) for (int b = first; b < batch; b++) single(t, s, z, sums, in, x, b, y, b * out + o, o);
    }

    /**
     * The 8 tiles at rows o .. o + 8L (one interleaved group) times the 8-sequence blocks [0, n8), CHUNK inputs at a
     * time: every tile pair's blocks run over a chunk before the next chunk, so the four pairs read the group's chunk
     * from L1, where one pair after the other over all inputs read the group four times from L2 at a stride of 128
     * bytes. The chains continue through y (zeroed first), so each output is still one FMA chain over i in order and
     * the bits are those of every other path; {@link #finish8x2} then applies the zero point and the scale.
     */
    private static void groupBlocks(byte[] t, float[] s, float[] z, float[] sums, int in, int out, float[] xt, int n8, float[] y, int o) {
        for (int b = 0; b < n8; b++) java.util.Arrays.fill(y, b * out + o, b * out + o + GROUP * L, 0f);
        for (int c0 = 0; c0 < in; c0 += CHUNK) {
            int n = Math.min(CHUNK, in - c0);
            for (int k = 0; k < GROUP; k += 2) for (int b = 0; b < n8; b += 8) chunk8x2(t, in, out, xt, b, y, o + k * L, c0, n);
        }
        for (int k = 0; k < GROUP; k += 2) for (int b = 0; b < n8; b += 8) finish8x2(s, z, sums, out, b, y, o + k * L);
    }

    /** Tiles at rows o and o + L times activation rows b..b+7 (8 x 2 blocks outside whole groups). */
    private static void pair8(byte[] t, float[] s, float[] z, float[] sums, int in, int out, float[] xt, int b, float[] y, int o) {
        for (int j = b; j < b + 8; j++) java.util.Arrays.fill(y, j * out + o, j * out + o + 2 * L, 0f);
        chunk8x2(t, in, out, xt, b, y, o, 0, in);
        finish8x2(s, z, sums, out, b, y, o);
    }

    /**
     * Tiles at rows o and o + L times activation rows b..b+7 over inputs [c0, c0 + n), continuing the chains in y:
     * per input 2 weight loads, 8 broadcasts and 16 FMAs into 16 accumulators (AVX-512's 32 registers hold them
     * and the 3 live vectors).
     */
    private static void chunk8x2(byte[] t, int in, int out, float[] xt, int b, float[] y, int o, int c0, int n) {
        int p0 = at(o / L, c0, in), p1 = at(o / L + 1, c0, in);
        int x0 = b * in + 8 * c0; // SequenceBlocks layout
        int r0 = b * out + o, r1 = r0 + out, r2 = r1 + out, r3 = r2 + out, r4 = r3 + out, r5 = r4 + out, r6 = r5 + out, r7 = r6 + out;
        FloatVector c00 = FloatVector.fromArray(F, y, r0), c01 = FloatVector.fromArray(F, y, r0 + L);
        FloatVector c10 = FloatVector.fromArray(F, y, r1), c11 = FloatVector.fromArray(F, y, r1 + L);
        FloatVector c20 = FloatVector.fromArray(F, y, r2), c21 = FloatVector.fromArray(F, y, r2 + L);
        FloatVector c30 = FloatVector.fromArray(F, y, r3), c31 = FloatVector.fromArray(F, y, r3 + L);
        FloatVector c40 = FloatVector.fromArray(F, y, r4), c41 = FloatVector.fromArray(F, y, r4 + L);
        FloatVector c50 = FloatVector.fromArray(F, y, r5), c51 = FloatVector.fromArray(F, y, r5 + L);
        FloatVector c60 = FloatVector.fromArray(F, y, r6), c61 = FloatVector.fromArray(F, y, r6 + L);
        FloatVector c70 = FloatVector.fromArray(F, y, r7), c71 = FloatVector.fromArray(F, y, r7 + L);
        for (int i = 0; i < n; i++) {
            FloatVector w0 = (FloatVector) ByteVector.fromArray(B, t, p0 + i * STRIDE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromArray(B, t, p1 + i * STRIDE).convertShape(VectorOperators.B2F, F, 0);
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
        // each store takes a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        FloatVector zero = FloatVector.zero(F);
        c00.add(zero).intoArray(y, r0);
        c01.add(zero).intoArray(y, r0 + L);
        c10.add(zero).intoArray(y, r1);
        c11.add(zero).intoArray(y, r1 + L);
        c20.add(zero).intoArray(y, r2);
        c21.add(zero).intoArray(y, r2 + L);
        c30.add(zero).intoArray(y, r3);
        c31.add(zero).intoArray(y, r3 + L);
        c40.add(zero).intoArray(y, r4);
        c41.add(zero).intoArray(y, r4 + L);
        c50.add(zero).intoArray(y, r5);
        c51.add(zero).intoArray(y, r5 + L);
        c60.add(zero).intoArray(y, r6);
        c61.add(zero).intoArray(y, r6 + L);
        c70.add(zero).intoArray(y, r7);
        c71.add(zero).intoArray(y, r7 + L);
    }

    /** The finished chains in y at rows o, o + L of sequences b..b+7: minus z_o sum(x_b) (zero points), times s_o. */
    private static void finish8x2(float[] s, float[] z, float[] sums, int out, int b, float[] y, int o) {
        for (int k = 0; k < 2; k++) {
            FloatVector sv = FloatVector.fromArray(F, s, o + k * L);
            FloatVector zv = z == null ? null : FloatVector.fromArray(F, z, o + k * L);
            for (int j = 0; j < 8; j++) {
                int r = (b + j) * out + o + k * L;
                FloatVector c = FloatVector.fromArray(F, y, r);
                if (zv != null) c = zv.fma(FloatVector.broadcast(F, -sums[b + j]), c);
                c.mul(sv).intoArray(y, r);
            }
        }
    }

    /**
     * sum_i x[b*in + i] per activation row (the zero-point term), in a buffer of the calling thread (the matmul's
     * workers read it while the caller waits).
     */
    static float[] rowSums(float[] x, int batch, int in) {
        float[] sums = SUMS.get();
        if (sums.length < batch) SUMS.set(sums = new float[batch]);
        for (int b = 0; b < batch; b++) {
            FloatVector v = FloatVector.zero(F);
            for (int i = 0; i < in; i += L) v = v.add(FloatVector.fromArray(F, x, b * in + i));
            sums[b] = v.reduceLanes(VectorOperators.ADD);
        }
        return sums;
    }

    static int sink;

    /**
     * Batches: when a block's last row enters a new interleaved group, one load per 64-byte line of the next group,
     * so its lines are requested in a burst and sit in L2 when the blocks reach them (a 2-tile block reads a
     * group strided, which the hardware prefetcher follows badly: batch 16 on 9728 x 896 90 -> 151 GFLOP/s, the
     * tile-after-tile layout 174). Only a group below {@code end}, the call's last row: past it the group is
     * another row chunk's, at 2 threads usually another core's, and touching it here fetched 622 KB for nothing
     * per chunk of the 896-row down_proj (bench kernels 896 x 4864 at 2 threads, batch 8: 110-114 -> 126-132 GFLOP/s).
     * Returns the group now touched ahead.
     */
    private static int ahead(byte[] t, int in, int row, int end, int touched) {
        int g = row / STRIDE + 1;
        if (g <= touched || (long) g * STRIDE >= end) return touched;
        int from = g * in * STRIDE, to = Math.min(t.length, from + in * STRIDE), a = 0;
        for (int k = from; k < to; k += 64) a += t[k];
        sink += a;
        return g;
    }

    /**
     * Tiles at rows o .. o + 8L (one interleaved group where o / L is a multiple of 8) times activation row b into
     * y[yOff, yOff + 8L): one chain each.
     */
    private static void decode8(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, int xb, float[] y, int yOff, int o) {
        int base = at(o / L, 0, in), d1 = at(o / L + 1, 0, in) - base, d2 = at(o / L + 2, 0, in) - base, d3 = at(o / L + 3, 0, in) - base;
        int d4 = at(o / L + 4, 0, in) - base, d5 = at(o / L + 5, 0, in) - base, d6 = at(o / L + 6, 0, in) - base, d7 = at(o / L + 7, 0, in) - base;
        int xo = xb * in;
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a, e = a, f = a, g = a, h = a;
        for (int i = 0, p = base; i < in; i++, p += STRIDE) {
            FloatVector v = FloatVector.broadcast(F, x[xo + i]);
            a = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(v, a);
            b = ((FloatVector) ByteVector.fromArray(B, t, p + d1).convertShape(VectorOperators.B2F, F, 0)).fma(v, b);
            c = ((FloatVector) ByteVector.fromArray(B, t, p + d2).convertShape(VectorOperators.B2F, F, 0)).fma(v, c);
            d = ((FloatVector) ByteVector.fromArray(B, t, p + d3).convertShape(VectorOperators.B2F, F, 0)).fma(v, d);
            e = ((FloatVector) ByteVector.fromArray(B, t, p + d4).convertShape(VectorOperators.B2F, F, 0)).fma(v, e);
            f = ((FloatVector) ByteVector.fromArray(B, t, p + d5).convertShape(VectorOperators.B2F, F, 0)).fma(v, f);
            g = ((FloatVector) ByteVector.fromArray(B, t, p + d6).convertShape(VectorOperators.B2F, F, 0)).fma(v, g);
            h = ((FloatVector) ByteVector.fromArray(B, t, p + d7).convertShape(VectorOperators.B2F, F, 0)).fma(v, h);
        }
        if (z != null) {
            FloatVector m = FloatVector.broadcast(F, -sums[xb]);
            a = FloatVector.fromArray(F, z, o + 0 * L).fma(m, a);
            b = FloatVector.fromArray(F, z, o + 1 * L).fma(m, b);
            c = FloatVector.fromArray(F, z, o + 2 * L).fma(m, c);
            d = FloatVector.fromArray(F, z, o + 3 * L).fma(m, d);
            e = FloatVector.fromArray(F, z, o + 4 * L).fma(m, e);
            f = FloatVector.fromArray(F, z, o + 5 * L).fma(m, f);
            g = FloatVector.fromArray(F, z, o + 6 * L).fma(m, g);
            h = FloatVector.fromArray(F, z, o + 7 * L).fma(m, h);
        }
        a.mul(FloatVector.fromArray(F, s, o + 0 * L)).intoArray(y, yOff + 0 * L);
        b.mul(FloatVector.fromArray(F, s, o + 1 * L)).intoArray(y, yOff + 1 * L);
        c.mul(FloatVector.fromArray(F, s, o + 2 * L)).intoArray(y, yOff + 2 * L);
        d.mul(FloatVector.fromArray(F, s, o + 3 * L)).intoArray(y, yOff + 3 * L);
        e.mul(FloatVector.fromArray(F, s, o + 4 * L)).intoArray(y, yOff + 4 * L);
        f.mul(FloatVector.fromArray(F, s, o + 5 * L)).intoArray(y, yOff + 5 * L);
        g.mul(FloatVector.fromArray(F, s, o + 6 * L)).intoArray(y, yOff + 6 * L);
        h.mul(FloatVector.fromArray(F, s, o + 7 * L)).intoArray(y, yOff + 7 * L);
    }

    /**
     * Tiles at rows o .. o + 4L (half an interleaved group) times activation row b into y[yOff, yOff + 4L): one chain each. One core's decode
     * is bound by how many cache-line misses it keeps in flight, not by the FMAs: on the 151936 x 896 lm_head (136
     * MB, out of cache, 1 thread) one tile at a time read 10.2 GB/s, two 13 GB/s, four 15.4 GB/s (the core's
     * streaming read rate is 16).
     */
    private static void decode4(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, int xb, float[] y, int yOff, int o) {
        int p = at(o / L, 0, in), q = at(o / L + 1, 0, in), r = at(o / L + 2, 0, in), w = at(o / L + 3, 0, in);
        int xo = xb * in;
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        for (int i = 0; i < in; i++, p += STRIDE, q += STRIDE, r += STRIDE, w += STRIDE) {
            FloatVector v = FloatVector.broadcast(F, x[xo + i]);
            a = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(v, a);
            b = ((FloatVector) ByteVector.fromArray(B, t, q).convertShape(VectorOperators.B2F, F, 0)).fma(v, b);
            c = ((FloatVector) ByteVector.fromArray(B, t, r).convertShape(VectorOperators.B2F, F, 0)).fma(v, c);
            d = ((FloatVector) ByteVector.fromArray(B, t, w).convertShape(VectorOperators.B2F, F, 0)).fma(v, d);
        }
        if (z != null) {
            FloatVector m = FloatVector.broadcast(F, -sums[xb]);
            a = FloatVector.fromArray(F, z, o).fma(m, a);
            b = FloatVector.fromArray(F, z, o + L).fma(m, b);
            c = FloatVector.fromArray(F, z, o + 2 * L).fma(m, c);
            d = FloatVector.fromArray(F, z, o + 3 * L).fma(m, d);
        }
        a.mul(FloatVector.fromArray(F, s, o)).intoArray(y, yOff);
        b.mul(FloatVector.fromArray(F, s, o + L)).intoArray(y, yOff + L);
        c.mul(FloatVector.fromArray(F, s, o + 2 * L)).intoArray(y, yOff + 2 * L);
        d.mul(FloatVector.fromArray(F, s, o + 3 * L)).intoArray(y, yOff + 3 * L);
    }

    /** The tile at row o times activation row b into y[yOff, yOff + L): one chain over i. */
    private static void single(byte[] t, float[] s, float[] z, float[] sums, int in, float[] x, int b, float[] y, int yOff, int o) {
        int p = at(o / L, 0, in), xo = b * in;
        FloatVector a = FloatVector.zero(F);
        for (int i = 0; i < in; i++, p += STRIDE) a = ((FloatVector) ByteVector.fromArray(B, t, p).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.broadcast(F, x[xo + i]), a);
        if (z != null) a = FloatVector.fromArray(F, z, o).fma(FloatVector.broadcast(F, -sums[b]), a);
        a.mul(FloatVector.fromArray(F, s, o)).intoArray(y, yOff);
    }

    /** Tiles at rows o and o + L times activation rows b..b+3 (x row-major): 8 chains. */
    private static void block4x2(byte[] t, float[] s, float[] z, float[] sums, int in, int out, float[] x, int b, float[] y, int o) {
        int p0 = at(o / L, 0, in), p1 = at(o / L + 1, 0, in);
        int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector zero = FloatVector.zero(F);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = ((FloatVector) ByteVector.fromArray(B, t, p0 + i * STRIDE).convertShape(VectorOperators.B2F, F, 0));
            FloatVector w1 = ((FloatVector) ByteVector.fromArray(B, t, p1 + i * STRIDE).convertShape(VectorOperators.B2F, F, 0));
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
        }
        if (z != null) {
            FloatVector z0 = FloatVector.fromArray(F, z, o), z1 = FloatVector.fromArray(F, z, o + L);
            c00 = z0.fma(FloatVector.broadcast(F, -sums[b]), c00);
            c01 = z1.fma(FloatVector.broadcast(F, -sums[b]), c01);
            c10 = z0.fma(FloatVector.broadcast(F, -sums[b + 1]), c10);
            c11 = z1.fma(FloatVector.broadcast(F, -sums[b + 1]), c11);
            c20 = z0.fma(FloatVector.broadcast(F, -sums[b + 2]), c20);
            c21 = z1.fma(FloatVector.broadcast(F, -sums[b + 2]), c21);
            c30 = z0.fma(FloatVector.broadcast(F, -sums[b + 3]), c30);
            c31 = z1.fma(FloatVector.broadcast(F, -sums[b + 3]), c31);
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
    }
}
