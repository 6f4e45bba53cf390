package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bf16 weights repacked at load into the column tiles of {@link Int8Tiles}: L consecutive output rows stored
 * input-major, so the L shorts at {@link #at at(tile, i, in)} are input i of the tile's rows and one load,
 * widened exactly to float32 (zero-extend, shift into the high half), is one vector of L output rows. Prefill
 * and batched decode run as outer products with 16 register accumulators (no horizontal sum per row, no
 * float32 copy of the weights); decode streams each tile once.
 *
 * <p>Rows past {@code out} in the last tile are 0; a partial tile is computed into a scratch tile and its valid
 * rows copied.
 */
final class Bf16Tiles {
    static final VectorSpecies<Float> F = VectorKernels.F;
    static final int L = F.length();
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ThreadLocal<float[]> PARTIAL = ThreadLocal.withInitial(() -> new float[0]);

    private Bf16Tiles() {}

    /**
     * Tiles interleaved input by input as {@link Int8Tiles#at} lays them out, in groups of 1: tile after tile. Groups
     * of 8 made bf16 decode one stream (+40% tokens/s at batch 1 on Zen 5) but cost batches of 16 a third
     * ({@code bench batching} c=16 112 -> 74 tokens/s): their 2- and 3-tile blocks then read each group strided from
     * memory, and bf16's groups (229 KB to 1.2 MB) are too large to fetch ahead into L2. int8 keeps groups of 8.
     */
    static final int GROUP = 1;
    /** Elements from input i to input i + 1 of one tile. */
    static final int STRIDE = GROUP * L;

    static {
        // compiled with the Vector API classes initialized (see QuantKernels' static block)
        int in = 4 * L, out = 3 * L;
        short[] t = tile(new short[out * in], out, in);
        float[] x = new float[9 * in], y = new float[9 * out];
        for (int batch : new int[] {1, 2, 5, 9}) matmul(t, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
    }

    static int tiles(int out) { return (out + L - 1) / L; }

    /** Index of input i of tile {@code tile}: (tiles/GROUP, in, GROUP, L). */
    static int at(int tile, int i, int in) { return Int8Tiles.at(tile, i, in, GROUP); }

    /** Inputs above which batches run 3-tile blocks: 8 x 1024 floats is 32 KiB, most of L1 beside the weights. */
    static final int THREE_TILE_MIN_IN = 1024;

    /** Row-major (out, in) bf16 bits into column tiles: (tiles(out), in, L), rows past out zero. */
    static short[] tile(short[] w, int out, int in) {
        short[] t = new short[(tiles(out) + GROUP - 1) / GROUP * GROUP * in * L];
        for (int o = 0; o < out; o++) {
            int base = at(o / L, 0, in) + o % L, row = o * in;
            for (int i = 0; i < in; i++) t[base + i * STRIDE] = w[row + i];
        }
        return t;
    }

    /** Row o as float32 into dst[off, off + in): a strided gather (embedding lookups only). */
    static void row(short[] t, int in, int o, float[] dst, int off) {
        int base = at(o / L, 0, in) + o % L;
        for (int i = 0; i < in; i++) dst[off + i] = TensorDtype.bf16ToFloat(t[base + i * STRIDE]);
    }

    /**
     * y[b*out + o] = sum_i W[o, i] x[b*in + i] for o in [from, to), from a multiple of 2L. Every path computes each
     * output the same way, one FMA chain per (sequence, tile) over i in order, so a sequence's result does not depend
     * on the batch it shares a step with (the summarization job's same-output-at-any-parallelism relies on it).
     */
    static void matmul(short[] t, int in, int out, float[] x, float[] xt, int batch, float[] y, int from, int to) {
        int whole = to - (to - from) % L, o = from;
        // 3-tile groups only where an 8-sequence block of activations (8 x in floats) overflows L1's 48 KiB share:
        // there they cut its reloads from L2 per FMA by a third (896 x 4864 at batch 128: 86 -> 118 GFLOP/s bf16);
        // with in = 896 the 2-tile block is as fast or faster (bf16 117 vs 123). int8 runs whole groups in chunks
        // instead (Int8Tiles.matmul)
        boolean three = in > THREE_TILE_MIN_IN;
        int blocked = blockedRows(batch, three);
        if (blocked > 0) {
            if (three && blocked >= 8) for (; o + 3 * L <= to; o += 3 * L) {
                for (int b = 0; b < blocked; b += 8) block8x3(t, in, out, xt, b, y, o);
            }
            for (; o + 2 * L <= to; o += 2 * L) {
                int b = 0;
                for (; b + 8 <= blocked; b += 8) block8x2(t, in, out, xt, b, y, o);
                for (; b < blocked; b += 4) block4x2(t, in, out, x, b, y, o);
            }
            for (; o < whole; o += L) for (int b = 0; b < blocked; b++) single(t, in, x, b, y, b * out + o, o);
        }
        rowTiles(t, in, out, x, blocked, batch, y, from, whole);
        if (whole < to) { // the partial last tile
            float[] p = PARTIAL.get();
            if (p.length < L) PARTIAL.set(p = new float[L]);
            for (int b = 0; b < batch; b++) {
                single(t, in, x, b, p, 0, whole);
                System.arraycopy(p, 0, y, b * out + whole, to - whole);
            }
        }
    }

    /**
     * Sequences [0, n) of a batch that the register blocks take: whole 8-blocks over 3 tiles where {@code three} and
     * the batch has one, else 8 x 2 and 4 x 2 blocks (a batch of 4-7 with in > 1024 takes 4 x 2: decode's kernels
     * per sequence ran 896 x 4864 at batch 4 at 42-57 GFLOP/s); the rest run decode's kernels per sequence
     * ({@link #rowTiles}). Shared by the int8 tiles.
     */
    static int blockedRows(int batch, boolean three) {
        if (batch < 4) return 0;
        return three && batch >= 8 ? batch & ~7 : batch & ~3;
    }

    /**
     * Activation rows [first, batch) times the whole tiles at rows [from, to): eight tiles per call, then four, then
     * one, each its own chain (the same chain as the register blocks'), every row over a group of tiles before the
     * next group, so the group is read from memory once. The kernels of decode (first = 0, batch = 1), of batches of
     * 2-3 and of the sequences past the blocks; these ran one chain per call before ({@code single}), at the FMA
     * latency: a batch of 3 took 7x as long as a batch of 1 in int8 (harness, 9728 x 896).
     */
    private static void rowTiles(short[] t, int in, int out, float[] x, int first, int batch, float[] y, int from, int to) {
        int o = from;
        for (; o + 8 * L <= to; o += 8 * L) for (int b = first; b < batch; b++) decode8(t, in, x, b, y, b * out + o, o);
        for (; o + 4 * L <= to; o += 4 * L) for (int b = first; b < batch; b++) decode4(t, in, x, b, y, b * out + o, o);
        for (; o < to; o += L) for (int b = first; b < batch; b++) single(t, in, x, b, y, b * out + o, o);
    }

    /** Tiles at rows o .. o + 8L times activation row xb into y[yOff, yOff + 8L): eight weight streams, one chain each. */
    private static void decode8(short[] t, int in, float[] x, int xb, float[] y, int yOff, int o) {
        int base = at(o / L, 0, in), d1 = at(o / L + 1, 0, in) - base, d2 = at(o / L + 2, 0, in) - base, d3 = at(o / L + 3, 0, in) - base;
        int d4 = at(o / L + 4, 0, in) - base, d5 = at(o / L + 5, 0, in) - base, d6 = at(o / L + 6, 0, in) - base, d7 = at(o / L + 7, 0, in) - base;
        int xo = xb * in;
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a, e = a, f = a, g = a, h = a;
        for (int i = 0, p = base; i < in; i++, p += STRIDE) {
            FloatVector v = FloatVector.broadcast(F, x[xo + i]);
            a = ((FloatVector) ShortVector.fromArray(S, t, p).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, a);
            b = ((FloatVector) ShortVector.fromArray(S, t, p + d1).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, b);
            c = ((FloatVector) ShortVector.fromArray(S, t, p + d2).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, c);
            d = ((FloatVector) ShortVector.fromArray(S, t, p + d3).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, d);
            e = ((FloatVector) ShortVector.fromArray(S, t, p + d4).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, e);
            f = ((FloatVector) ShortVector.fromArray(S, t, p + d5).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, f);
            g = ((FloatVector) ShortVector.fromArray(S, t, p + d6).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, g);
            h = ((FloatVector) ShortVector.fromArray(S, t, p + d7).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, h);
        }
        a.add(FloatVector.zero(F)).intoArray(y, yOff + 0 * L);
        b.add(FloatVector.zero(F)).intoArray(y, yOff + 1 * L);
        c.add(FloatVector.zero(F)).intoArray(y, yOff + 2 * L);
        d.add(FloatVector.zero(F)).intoArray(y, yOff + 3 * L);
        e.add(FloatVector.zero(F)).intoArray(y, yOff + 4 * L);
        f.add(FloatVector.zero(F)).intoArray(y, yOff + 5 * L);
        g.add(FloatVector.zero(F)).intoArray(y, yOff + 6 * L);
        h.add(FloatVector.zero(F)).intoArray(y, yOff + 7 * L);
    }

    /**
     * Tiles at rows o .. o + 4L times activation row xb into y[yOff, yOff + 4L): four weight streams, one chain each
     * (see Int8Tiles.decode4).
     */
    private static void decode4(short[] t, int in, float[] x, int xb, float[] y, int yOff, int o) {
        int p = at(o / L, 0, in), q = at(o / L + 1, 0, in), r = at(o / L + 2, 0, in), w = at(o / L + 3, 0, in);
        int xo = xb * in;
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        for (int i = 0; i < in; i++, p += STRIDE, q += STRIDE, r += STRIDE, w += STRIDE) {
            FloatVector v = FloatVector.broadcast(F, x[xo + i]);
            a = ((FloatVector) ShortVector.fromArray(S, t, p).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, a);
            b = ((FloatVector) ShortVector.fromArray(S, t, q).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, b);
            c = ((FloatVector) ShortVector.fromArray(S, t, r).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, c);
            d = ((FloatVector) ShortVector.fromArray(S, t, w).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(v, d);
        }
        a.add(FloatVector.zero(F)).intoArray(y, yOff);
        b.add(FloatVector.zero(F)).intoArray(y, yOff + L);
        c.add(FloatVector.zero(F)).intoArray(y, yOff + 2 * L);
        d.add(FloatVector.zero(F)).intoArray(y, yOff + 3 * L);
    }

    /** The tile at row o times activation row b into y[yOff, yOff + L): one chain over i. */
    private static void single(short[] t, int in, float[] x, int b, float[] y, int yOff, int o) {
        int p = at(o / L, 0, in), xo = b * in;
        FloatVector a = FloatVector.zero(F);
        for (int i = 0; i < in; i++, p += STRIDE) a = ((FloatVector) ShortVector.fromArray(S, t, p).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(FloatVector.broadcast(F, x[xo + i]), a);
        a.add(FloatVector.zero(F)).intoArray(y, yOff);
    }

    /** Tiles at rows o and o + L times activation rows b..b+3 (x row-major): 8 chains. */
    private static void block4x2(short[] t, int in, int out, float[] x, int b, float[] y, int o) {
        int p0 = at(o / L, 0, in), p1 = at(o / L + 1, 0, in);
        int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector zero = FloatVector.zero(F);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = ((FloatVector) ShortVector.fromArray(S, t, p0 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
            FloatVector w1 = ((FloatVector) ShortVector.fromArray(S, t, p1 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
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
        int r = b * out + o;
        c00.add(zero).intoArray(y, r);
        c01.add(zero).intoArray(y, r + L);
        r += out;
        c10.add(zero).intoArray(y, r);
        c11.add(zero).intoArray(y, r + L);
        r += out;
        c20.add(zero).intoArray(y, r);
        c21.add(zero).intoArray(y, r + L);
        r += out;
        c30.add(zero).intoArray(y, r);
        c31.add(zero).intoArray(y, r + L);
    }

    /**
     * Tiles at rows o and o + L (2L rows) times activation rows b..b+7: per input 2 weight loads, 8 broadcasts and
     * 16 FMAs into 16 accumulators; the 3 live vectors and 16 accumulators fit AVX-512's 32 registers.
     */
    private static void block8x2(short[] t, int in, int out, float[] xt, int b, float[] y, int o) {
        int p0 = at(o / L, 0, in), p1 = at(o / L + 1, 0, in);
        int x0 = b * in; // SequenceBlocks layout
        FloatVector zero = FloatVector.zero(F);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero, c50 = zero, c51 = zero, c60 = zero, c61 = zero, c70 = zero, c71 = zero;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = (FloatVector) ShortVector.fromArray(S, t, p0 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = (FloatVector) ShortVector.fromArray(S, t, p1 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
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
        // each store takes a fresh vector, not the loop phi: C2 left the store of a phi on the boxed path (JFR: stOp
        // frames, 14% of a long prefill) in some compilations
        int r = b * out + o;
        c00.add(FloatVector.zero(F)).intoArray(y, r);
        c01.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c10.add(FloatVector.zero(F)).intoArray(y, r);
        c11.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c20.add(FloatVector.zero(F)).intoArray(y, r);
        c21.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c30.add(FloatVector.zero(F)).intoArray(y, r);
        c31.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c40.add(FloatVector.zero(F)).intoArray(y, r);
        c41.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c50.add(FloatVector.zero(F)).intoArray(y, r);
        c51.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c60.add(FloatVector.zero(F)).intoArray(y, r);
        c61.add(FloatVector.zero(F)).intoArray(y, r + L);
        r += out;
        c70.add(FloatVector.zero(F)).intoArray(y, r);
        c71.add(FloatVector.zero(F)).intoArray(y, r + L);
    }

    /**
     * Tiles at rows o, o + L and o + 2L times activation rows b..b+7: per input 3 weight loads, 8 broadcasts and 24
     * FMAs into 24 accumulators. Against {@link #block8x2} (10 loads per 16 FMAs) it loads 11 per 24: on AVX-512 the
     * loads, not the FMAs, bound these blocks (an L1-resident harness: 141 -> 156 GFLOP/s). The same chain per
     * (sequence, tile) as every other path, so results do not depend on the grouping.
     */
    private static void block8x3(short[] t, int in, int out, float[] xt, int b, float[] y, int o) {
        int p0 = at(o / L, 0, in), p1 = at(o / L + 1, 0, in), p2 = at(o / L + 2, 0, in);
        int x0 = b * in; // SequenceBlocks layout
        FloatVector zero = FloatVector.zero(F);
        FloatVector c00 = zero, c01 = zero, c02 = zero;
        FloatVector c10 = zero, c11 = zero, c12 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero;
        FloatVector c30 = zero, c31 = zero, c32 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero;
        FloatVector c50 = zero, c51 = zero, c52 = zero;
        FloatVector c60 = zero, c61 = zero, c62 = zero;
        FloatVector c70 = zero, c71 = zero, c72 = zero;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = (FloatVector) ShortVector.fromArray(S, t, p0 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = (FloatVector) ShortVector.fromArray(S, t, p1 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = (FloatVector) ShortVector.fromArray(S, t, p2 + i * STRIDE).convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v = FloatVector.broadcast(F, xt[x0 + 8 * i + 0]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            c02 = w2.fma(v, c02);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 1]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            c12 = w2.fma(v, c12);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 2]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            c22 = w2.fma(v, c22);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 3]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            c32 = w2.fma(v, c32);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 4]);
            c40 = w0.fma(v, c40);
            c41 = w1.fma(v, c41);
            c42 = w2.fma(v, c42);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 5]);
            c50 = w0.fma(v, c50);
            c51 = w1.fma(v, c51);
            c52 = w2.fma(v, c52);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 6]);
            c60 = w0.fma(v, c60);
            c61 = w1.fma(v, c61);
            c62 = w2.fma(v, c62);
            v = FloatVector.broadcast(F, xt[x0 + 8 * i + 7]);
            c70 = w0.fma(v, c70);
            c71 = w1.fma(v, c71);
            c72 = w2.fma(v, c72);
        }
        // each store takes a fresh vector, not the loop phi (see block8x2)
        int r = b * out + o;
        c00.add(zero).intoArray(y, r);
        c01.add(zero).intoArray(y, r + L);
        c02.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c10.add(zero).intoArray(y, r);
        c11.add(zero).intoArray(y, r + L);
        c12.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c20.add(zero).intoArray(y, r);
        c21.add(zero).intoArray(y, r + L);
        c22.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c30.add(zero).intoArray(y, r);
        c31.add(zero).intoArray(y, r + L);
        c32.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c40.add(zero).intoArray(y, r);
        c41.add(zero).intoArray(y, r + L);
        c42.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c50.add(zero).intoArray(y, r);
        c51.add(zero).intoArray(y, r + L);
        c52.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c60.add(zero).intoArray(y, r);
        c61.add(zero).intoArray(y, r + L);
        c62.add(zero).intoArray(y, r + 2 * L);
        r += out;
        c70.add(zero).intoArray(y, r);
        c71.add(zero).intoArray(y, r + L);
        c72.add(zero).intoArray(y, r + 2 * L);
    }
}
