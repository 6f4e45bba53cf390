package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.Locale;

import static jdk.incubator.vector.VectorOperators.I2F;

/**
 * 4-bit group-wise codes repacked at load into column tiles, as {@link Int8Tiles} does for int8: L consecutive
 * output rows (L = float lanes, 16 with AVX-512) form a tile, and int lane r at {@link #at at(tile, j, in)} + r
 * holds inputs 8j..8j+7 of the tile's row r in its nibbles 0..7. One int vector load is then 8 inputs of 16 rows,
 * each nibble one float vector of 16 output rows: outer products with no horizontal sums and no byte shuffles.
 * Tiles are stored in interleaved pairs, (tiles/2, in/8, 2, L), so decode, which reads a pair at a time, reads the
 * whole matrix as one contiguous stream (see {@link #at}).
 *
 * <p>Scales (and s*z for zero points) are tiled the same way, (tiles, groups, L). Decode (batches below 8, and the
 * sequences past a batch's whole 8-blocks) reads the codes directly: a nibble masked in place is read as the bits
 * of a subnormal float, exact, against activations pre-scaled to match (see {@link #scaled}), so it needs neither a
 * shift nor a conversion (on CPUs that take subnormal FMA inputs at full speed; elsewhere one conversion, see
 * {@link #SUBNORMAL_NIBBLES}); a group's sum gets one FMA by its scale and the zero-point term is
 * sum_g s_g z_g sum(x over g). The 8-blocks
 * dequantize a tile pair at a time, CHUNK inputs at a time (16 KiB of float32, in L1), and run 8 sequences x 2
 * tiles of FMAs on that panel, accumulating into y: the dequantization costs 1/8 or less per weight and the FMAs
 * run at the float kernels' rate.
 *
 * <p>Rows past {@code out} in the last tile hold code 0 and scale 0; a partial or single last tile is computed
 * into a scratch block and its valid rows copied, so y is never written past its (batch, out) rows.
 */
final class Q4Tiles {
    static final VectorSpecies<Float> F = VectorKernels.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int L = F.length();
    /** Inputs per dequantized panel: 2 tiles x 128 inputs x L floats = 16 KiB with L = 16 (L1 is 48 KiB). */
    private static final int CHUNK = 128;
    /** The zero point of symmetric matrices. */
    static final float MID = 8f;
    /**
     * 16^-p for nibble k at bit 4p of its int (the decode kernel's pre-scaled activations, before the per-sequence
     * factor): nibbles 0-4 in place, 5-7 at 2-4 of the int shifted down by 12.
     */
    private static final float[] NIBBLE_SCALE = {1f, 0x1p-4f, 0x1p-8f, 0x1p-12f, 0x1p-16f, 0x1p-8f, 0x1p-12f, 0x1p-16f};
    /**
     * Whether decode reads masked nibbles as subnormal floats (no conversion) or converts them (I2F). Both give the
     * same bits (see {@link #scaled}); which is faster is the CPU's: on AMD Zen an FMA takes subnormal inputs at full
     * speed and skipping the conversion made q4 decode 1.44-1.49x in cache, while Intel cores take a microcode assist
     * per FMA with a subnormal input: on an Intel Xeon (family 6 model 167) the subnormal kernel ran 896 x 4864 at batch 1
     * at 11 ms per sequence against 0.58 for int8, 20x slow. {@code -Dr1stream.q4.nibbles=subnormal|convert}
     * overrides the choice by vendor. The decode loops spell the choice out at every nibble rather than through a
     * helper returning a FloatVector: such a helper (tried 2026-12-08) left q4 decode at 2.4-4.0 tokens/s against
     * 44-49 (bench engine, Zen 4 EPYC), the vectors boxed where C2 did not inline it.
     */
    static final boolean SUBNORMAL_NIBBLES = subnormalNibbles(System.getProperty("r1stream.q4.nibbles"), cpuVendor());
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[2 * CHUNK * L]);
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> SCALED = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> UP = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[0]);

    static boolean subnormalNibbles(String option, String vendor) {
        if (option == null || option.isEmpty()) return vendor.equals("AuthenticAMD");
        return switch (option.toLowerCase(Locale.ROOT)) {
            case "subnormal" -> true;
            case "convert" -> false;
            default -> throw new IllegalArgumentException("r1stream.q4.nibbles must be subnormal or convert, got '" + option + "'");
        };
    }

    /** The x86 vendor string from /proc/cpuinfo (GenuineIntel, AuthenticAMD), or "" where there is none. */
    static String cpuVendor() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("vendor_id")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    private Q4Tiles() {}

    static {
        // compiled with the Vector API classes initialized (see QuantKernels' static block)
        int in = 2 * CHUNK + 4 * L, out = 5 * L, group = 4 * L; // two pairs and a single last tile, over 3 chunks
        int[] t = tile(new byte[out * in], out, in);
        int gs = in / group;
        float[] s = new float[tiles(out) * gs * L], x = new float[9 * in], y = new float[9 * out];
        for (int batch : new int[] {1, 2, 5, 9}) {
            matmul(t, s, null, group, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
            matmul(t, s, s, group, in, out, x, SequenceBlocks.of(x, batch, in), batch, y, 0, out);
        }
    }

    static int tiles(int out) { return (out + L - 1) / L; }

    /**
     * Index of block j (inputs 8j..8j+7, one int vector) of tile {@code tile}: pairs of tiles interleaved block by
     * block, (tiles/2, in/8, 2, L). Tile after tile, decode read two streams of 7 KB per pair at in = 896 and the
     * next pair started two new ones, so the hardware prefetcher kept restarting: 21 G weights/s from memory on
     * one core of an AMD EPYC (Zen 5) against 41 for this layout, in which the pairs follow each other as one
     * stream (an in-JVM A/B harness, alternating; the same speed in cache). At in = 4864 (38 KB per tile) 32 -> 36.
     */
    static int at(int tile, int j, int in) { return ((tile / 2 * (in / 8) + j) * 2 + tile % 2) * L; }

    /**
     * Row-major (out, in) codes in [0, 16) into column tiles of 8 nibbles, laid out as {@link #at} says (an odd
     * tile count padded with a zero tile); in % 8 == 0.
     */
    static int[] tile(byte[] codes, int out, int in) {
        int blocks = in / 8;
        int[] t = new int[(tiles(out) + 1) / 2 * 2 * blocks * L];
        for (int o = 0; o < out; o++) {
            int base = at(o / L, 0, in) + o % L, row = o * in;
            for (int j = 0; j < blocks; j++) {
                int lane = 0;
                for (int k = 0; k < 8; k++) lane |= (codes[row + 8 * j + k] & 0x0f) << (4 * k);
                t[base + j * 2 * L] = lane;
            }
        }
        return t;
    }

    /** (out, groups) per-row floats into (tiles(out), groups, L), rows past out zero; null stays null. */
    static float[] tileGroups(float[] v, int out, int gs) {
        if (v == null) return null;
        float[] p = new float[tiles(out) * gs * L];
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < gs; g++) p[((o / L) * gs + g) * L + o % L] = v[o * gs + g];
        }
        return p;
    }

    /**
     * Row o as float32 s * (q - z) into dst[off, off + in), from the row-major (out, groups) scales and zero points
     * (z null: all {@link #MID}), exactly as {@link QuantizedMatrix#dequantize()} rounds: a strided gather for
     * embedding lookups.
     */
    static void row(int[] t, float[] s, float[] z, int group, int in, int gs, int o, float[] dst, int off) {
        int base = at(o / L, 0, in) + o % L;
        for (int i = 0; i < in; i++) {
            int code = (t[base + (i / 8) * 2 * L] >>> (4 * (i % 8))) & 0x0f;
            int g = o * gs + i / group;
            dst[off + i] = s[g] * (code - (z == null ? MID : z[g]));
        }
    }

    /**
     * y[b*out + o] = sum_i s_og (q[o, i] - z_og) x[b*in + i] for o in [from, to), from a multiple of 2L; s tiled,
     * sz = s*z tiled (null for symmetric matrices, z = 8).
     */
    static void matmul(int[] t, float[] s, float[] sz, int group, int in, int out, float[] x, float[] xt, int batch, float[] y, int from, int to) {
        Decoded d = decoded(x, batch, in, group, sz == null);
        matmul(t, s, sz, group, in, out, x, xt, batch, d, y, from, to);
    }

    /**
     * As above with decode's inputs computed once per matmul by {@link #decoded} (not once per row chunk: at 2
     * threads a call has 8 chunks). Sequences [0, batch & ~7) of a batch of 8 or more run the dequantized-panel
     * blocks; the rest, and every sequence of a smaller batch, run decode's kernels on the codes (the blocks' one-row
     * remainder, two chains over a panel, ran at the FMA latency: batches of 4-7 took 8x as long as a batch of 1).
     */
    static void matmul(int[] t, float[] s, float[] sz, int group, int in, int out, float[] x, float[] xt, int batch, Decoded d,
                       float[] y, int from, int to) {
        int gs = (in + group - 1) / group, first = decodedFrom(batch);
        if (first > 0) batched(t, s, sz, group, gs, in, out, xt, first, y, from, to);
        if (first == batch) return;
        float[] tail = tail(L);
        // two tiles per call where two remain: with converted nibbles one tile's loop ran ~33 instructions per 64-byte
        // line of codes, so the out-of-order window held too few lines in flight (12 Gweights/s from memory against 28
        // in cache on the Xeon); two tiles share the broadcasts and keep two streams going (14.4). Kept to two
        // accumulators per tile: a bigger loop made C2 compile the method with the boxed vector fallback
        for (int o = from; o < to; ) {
            if (o + 2 * L <= to) {
                for (int b = first; b < batch; b++) decode2(t, s, sz, d.sums, group, gs, in, d.xs, d.up, b, y, b * out + o, o);
                o += 2 * L;
                continue;
            }
            boolean whole = o + L <= to;
            for (int b = first; b < batch; b++) {
                decode(t, s, sz, d.sums, group, gs, in, d.xs, d.up, b, whole ? y : tail, whole ? b * out + o : 0, o);
                if (!whole) System.arraycopy(tail, 0, y, b * out + o, to - o);
            }
            o += L;
        }
    }

    /** The first sequence of a batch that decode's kernels take (see {@link #matmul}). */
    static int decodedFrom(int batch) { return batch < SequenceBlocks.SEQ ? 0 : batch / SequenceBlocks.SEQ * SequenceBlocks.SEQ; }

    /**
     * Decode's inputs for sequences [decodedFrom(batch), batch), indexed by sequence: xs (batch, in) the activations
     * pre-scaled per nibble, sums (batch, gs) the group sums of x (times 8 when symmetric: the zero point folded in),
     * up (batch) the factor 2^c that undoes xs' per-sequence scale. All in buffers of the calling thread, read by the
     * matmul's workers while it waits; null when no sequence is decoded.
     */
    record Decoded(float[] xs, float[] sums, float[] up) {}

    static Decoded decoded(float[] x, int batch, int in, int group, boolean symmetric) {
        int first = decodedFrom(batch);
        if (first == batch) return null;
        int gs = (in + group - 1) / group;
        float[] up = UP.get();
        if (up.length < batch) UP.set(up = new float[batch]);
        return new Decoded(scaled(x, first, batch, in, up), groupSums(x, first, batch, in, group, gs, symmetric ? MID : 1f), up);
    }

    /** sum of x over each group, times f (8 for symmetric matrices: the zero point folded in), (batch, gs), rows [first, batch). */
    private static float[] groupSums(float[] x, int first, int batch, int in, int group, int gs, float f) {
        float[] sums = SUMS.get();
        if (sums.length < batch * gs) SUMS.set(sums = new float[batch * gs]);
        for (int b = first; b < batch; b++) {
            for (int g = 0; g < gs; g++) {
                int end = Math.min((g + 1) * group, in);
                float a = 0f;
                for (int i = b * in + g * group; i < b * in + end; i++) a += x[i];
                sums[b * gs + g] = a * f;
            }
        }
        return sums;
    }

    /**
     * Decode's activations, rows [first, batch): x[8j + k] times 2^(149 - c) 16^-p(k), where p(k) is nibble k's place
     * in the int the kernel masks it in (see {@link #NIBBLE_SCALE}) and up[b] = 2^c. A masked nibble n at bit 4p,
     * read as float bits, is the subnormal n 2^(4p - 149): exact, with no conversion instruction. Its product with
     * the scaled x is n x 2^-c, exact before rounding, so every sum is 2^-c times the one from converted nibbles
     * and the same bits once multiplied by up. c = max(22, 25 + exponent of max |x|) keeps the scaled x finite (below
     * 2^125) and the products normal down to 2^-100 of the largest |x|. Converted nibbles ({@link #SUBNORMAL_NIBBLES}
     * false) are n 2^(4p), so x is scaled by 2^-c 16^-p with c = the exponent of max |x|: the products are n x 2^-c
     * again (below 32), normal down to 2^-110 of the largest |x|, and the sums the same bits.
     */
    private static float[] scaled(float[] x, int first, int batch, int in, float[] up) {
        float[] xs = SCALED.get();
        if (xs.length < batch * in) SCALED.set(xs = new float[batch * in]);
        for (int b = first; b < batch; b++) {
            float max = 0f;
            for (int i = b * in; i < (b + 1) * in; i++) max = Math.max(max, Math.abs(x[i]));
            int e = Math.getExponent(max);
            int c = SUBNORMAL_NIBBLES ? Math.min(127, Math.max(22, 25 + e)) : Math.min(126, Math.max(-126, e));
            up[b] = Math.scalb(1f, c);
            float f0 = Math.scalb(1f, SUBNORMAL_NIBBLES ? 149 - c : -c);
            // in % 8 == 0: i % 8 is the nibble; f0 times a power of two is exact, so is x times it
            for (int i = b * in; i < (b + 1) * in; i++) xs[i] = x[i] * (f0 * NIBBLE_SCALE[i & 7]);
        }
        return xs;
    }

    /**
     * The array whose group vectors give the zero-point term: s z, or s itself for symmetric matrices (decode's group
     * sums carry the 8, dequant multiplies by -8). Chosen once per call as an array, not per group as a vector
     * ({@code sz == null ? sv : load}): a vector merged from two branches that were both profiled (the warm-up runs
     * both) is one of the ways C2 leaves a kernel on its boxed fallback (see the README's C2 notes).
     */
    private static float[] zeroTerms(float[] s, float[] sz) { return sz == null ? s : sz; }

    private static float[] tail(int n) {
        float[] p = TAIL.get();
        if (p.length < n) TAIL.set(p = new float[n]);
        return p;
    }

    /**
     * The tile at row o times (pre-scaled) activation row b into y[yOff, yOff + L): 4 chains per group, then
     * acc += s_g * group sum; minus sum_g sz_g sum(x over g) at the end.
     */
    private static void decode(int[] t, float[] s, float[] sz, float[] sums, int group, int gs, int in, float[] xs, float[] up, int b,
                               float[] y, int yOff, int o) {
        int p = at(o / L, 0, in), sBase = (o / L) * gs * L, xo = b * in, so = b * gs;
        float[] zs = zeroTerms(s, sz);
        FloatVector zero = FloatVector.zero(F), acc = zero, zacc = zero;
        int i = 0;
        for (int g = 0; g < gs; g++) {
            int end = Math.min(i + group, in);
            FloatVector p0 = zero, p1 = zero, p2 = zero, p3 = zero;
            for (; i < end; i += 8, p += 2 * L) {
                IntVector w = IntVector.fromArray(I, t, p), w2 = w.lanewise(VectorOperators.LSHR, 12);
                p0 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf).reinterpretAsFloats() : (FloatVector) w.and(0xf).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i]), p0);
                p1 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf0).reinterpretAsFloats() : (FloatVector) w.and(0xf0).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 1]), p1);
                p2 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf00).reinterpretAsFloats() : (FloatVector) w.and(0xf00).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 2]), p2);
                p3 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf000).reinterpretAsFloats() : (FloatVector) w.and(0xf000).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 3]), p3);
                p0 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf0000).reinterpretAsFloats() : (FloatVector) w.and(0xf0000).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 4]), p0);
                p1 = (SUBNORMAL_NIBBLES ? (FloatVector) w2.and(0xf00).reinterpretAsFloats() : (FloatVector) w2.and(0xf00).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 5]), p1);
                p2 = (SUBNORMAL_NIBBLES ? (FloatVector) w2.and(0xf000).reinterpretAsFloats() : (FloatVector) w2.and(0xf000).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 6]), p2);
                p3 = (SUBNORMAL_NIBBLES ? (FloatVector) w2.and(0xf0000).reinterpretAsFloats() : (FloatVector) w2.and(0xf0000).convertShape(I2F, F, 0)).fma(FloatVector.broadcast(F, xs[xo + i + 7]), p3);
            }
            FloatVector sv = FloatVector.fromArray(F, s, sBase + g * L);
            acc = p0.add(p1).add(p2.add(p3)).fma(sv, acc);
            zacc = FloatVector.fromArray(F, zs, sBase + g * L).fma(FloatVector.broadcast(F, sums[so + g]), zacc);
        }
        FloatVector upv = FloatVector.broadcast(F, up[b]);
        acc.mul(upv).sub(zacc).intoArray(y, yOff);
    }

    /**
     * Tiles at rows o and o + L times activation row b into y[yOff, yOff + 2L), as {@link #decode} does one: each
     * broadcast feeds both tiles, two chains per tile and group. o / L is even: the two tiles are one interleaved
     * pair, read as one stream.
     */
    private static void decode2(int[] t, float[] s, float[] sz, float[] sums, int group, int gs, int in, float[] xs, float[] up, int b,
                                float[] y, int yOff, int o) {
        int p = at(o / L, 0, in), q = p + L, sBase = (o / L) * gs * L, sNext = sBase + gs * L;
        int xo = b * in, so = b * gs;
        float[] zs = zeroTerms(s, sz);
        FloatVector zero = FloatVector.zero(F), acc = zero, acc2 = zero, zacc = zero, zacc2 = zero;
        int i = 0;
        for (int g = 0; g < gs; g++) {
            int end = Math.min(i + group, in);
            FloatVector p0 = zero, p1 = zero, q0 = zero, q1 = zero;
            for (; i < end; i += 8, p += 2 * L, q += 2 * L) {
                IntVector w = IntVector.fromArray(I, t, p), u = IntVector.fromArray(I, t, q);
                IntVector w2 = w.lanewise(VectorOperators.LSHR, 12), u2 = u.lanewise(VectorOperators.LSHR, 12);
                FloatVector v = FloatVector.broadcast(F, xs[xo + i]);
                p0 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf).reinterpretAsFloats() : (FloatVector) w.and(0xf).convertShape(I2F, F, 0)).fma(v, p0);
                q0 = (SUBNORMAL_NIBBLES ? (FloatVector) u.and(0xf).reinterpretAsFloats() : (FloatVector) u.and(0xf).convertShape(I2F, F, 0)).fma(v, q0);
                v = FloatVector.broadcast(F, xs[xo + i + 1]);
                p1 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf0).reinterpretAsFloats() : (FloatVector) w.and(0xf0).convertShape(I2F, F, 0)).fma(v, p1);
                q1 = (SUBNORMAL_NIBBLES ? (FloatVector) u.and(0xf0).reinterpretAsFloats() : (FloatVector) u.and(0xf0).convertShape(I2F, F, 0)).fma(v, q1);
                v = FloatVector.broadcast(F, xs[xo + i + 2]);
                p0 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf00).reinterpretAsFloats() : (FloatVector) w.and(0xf00).convertShape(I2F, F, 0)).fma(v, p0);
                q0 = (SUBNORMAL_NIBBLES ? (FloatVector) u.and(0xf00).reinterpretAsFloats() : (FloatVector) u.and(0xf00).convertShape(I2F, F, 0)).fma(v, q0);
                v = FloatVector.broadcast(F, xs[xo + i + 3]);
                p1 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf000).reinterpretAsFloats() : (FloatVector) w.and(0xf000).convertShape(I2F, F, 0)).fma(v, p1);
                q1 = (SUBNORMAL_NIBBLES ? (FloatVector) u.and(0xf000).reinterpretAsFloats() : (FloatVector) u.and(0xf000).convertShape(I2F, F, 0)).fma(v, q1);
                v = FloatVector.broadcast(F, xs[xo + i + 4]);
                p0 = (SUBNORMAL_NIBBLES ? (FloatVector) w.and(0xf0000).reinterpretAsFloats() : (FloatVector) w.and(0xf0000).convertShape(I2F, F, 0)).fma(v, p0);
                q0 = (SUBNORMAL_NIBBLES ? (FloatVector) u.and(0xf0000).reinterpretAsFloats() : (FloatVector) u.and(0xf0000).convertShape(I2F, F, 0)).fma(v, q0);
                v = FloatVector.broadcast(F, xs[xo + i + 5]);
                p1 = (SUBNORMAL_NIBBLES ? (FloatVector) w2.and(0xf00).reinterpretAsFloats() : (FloatVector) w2.and(0xf00).convertShape(I2F, F, 0)).fma(v, p1);
                q1 = (SUBNORMAL_NIBBLES ? (FloatVector) u2.and(0xf00).reinterpretAsFloats() : (FloatVector) u2.and(0xf00).convertShape(I2F, F, 0)).fma(v, q1);
                v = FloatVector.broadcast(F, xs[xo + i + 6]);
                p0 = (SUBNORMAL_NIBBLES ? (FloatVector) w2.and(0xf000).reinterpretAsFloats() : (FloatVector) w2.and(0xf000).convertShape(I2F, F, 0)).fma(v, p0);
                q0 = (SUBNORMAL_NIBBLES ? (FloatVector) u2.and(0xf000).reinterpretAsFloats() : (FloatVector) u2.and(0xf000).convertShape(I2F, F, 0)).fma(v, q0);
                v = FloatVector.broadcast(F, xs[xo + i + 7]);
                p1 = (SUBNORMAL_NIBBLES ? (FloatVector) w2.and(0xf0000).reinterpretAsFloats() : (FloatVector) w2.and(0xf0000).convertShape(I2F, F, 0)).fma(v, p1);
                q1 = (SUBNORMAL_NIBBLES ? (FloatVector) u2.and(0xf0000).reinterpretAsFloats() : (FloatVector) u2.and(0xf0000).convertShape(I2F, F, 0)).fma(v, q1);
            }
            FloatVector sv = FloatVector.fromArray(F, s, sBase + g * L), sv2 = FloatVector.fromArray(F, s, sNext + g * L);
            FloatVector sum = FloatVector.broadcast(F, sums[so + g]);
            acc = p0.add(p1).fma(sv, acc);
            acc2 = q0.add(q1).fma(sv2, acc2);
            zacc = FloatVector.fromArray(F, zs, sBase + g * L).fma(sum, zacc);
            zacc2 = FloatVector.fromArray(F, zs, sNext + g * L).fma(sum, zacc2);
        }
        FloatVector upv = FloatVector.broadcast(F, up[b]);
        acc.mul(upv).sub(zacc).intoArray(y, yOff);
        acc2.mul(upv).sub(zacc2).intoArray(y, yOff + L);
    }

    /**
     * The 8-sequence blocks: per tile pair and CHUNK of inputs, a dequantized float32 panel and its register blocks
     * (8 sequences x 2 tiles, 16 accumulators). Pairs, not the float kernels' 3-tile groups: a 3-tile group straddles
     * two of the interleaved pairs, and on matrices out of cache that cost the prefetcher its single stream (in-JVM
     * A/B, AMD EPYC Zen 5, 1 thread: 9728 x 896 at batch 128 1.42x against 1.01x for 3-tile groups, the 151936 x 896
     * lm_head at batch 16 1.33x against 1.01x; in cache both are level).
     */
    private static void batched(int[] t, float[] s, float[] sz, int group, int gs, int in, int out, float[] xt, int batch,
                                float[] y, int from, int to) {
        float[] panel = PANEL.get();
        int tileCount = tiles(out);
        for (int o = from; o < to; o += 2 * L) {
            boolean whole = o + 2 * L <= to;
            float[] dst = whole ? y : tail(batch * 2 * L);
            int stride = whole ? out : 2 * L, off = whole ? o : 0;
            for (int b = 0; b < batch; b++) Arrays.fill(dst, b * stride + off, b * stride + off + 2 * L, 0f);
            for (int c0 = 0; c0 < in; c0 += CHUNK) {
                int n = Math.min(CHUNK, in - c0);
                dequant(t, s, sz, group, gs, in, o / L, c0, n, panel, 0);
                if (o / L + 1 < tileCount) dequant(t, s, sz, group, gs, in, o / L + 1, c0, n, panel, n * L);
                else Arrays.fill(panel, n * L, 2 * n * L, 0f);
                for (int b = 0; b < batch; b += 8) block8x2(panel, n, xt, in, c0, b, dst, stride, off);
            }
            if (!whole) for (int b = 0; b < batch; b++) System.arraycopy(dst, b * stride, y, b * out + o, to - o);
        }
    }

    /**
     * Inputs [c0, c0 + n) of a tile as float32 s (q - z) into panel[pOff + i*L], i in [0, n); c0, n multiples of 8.
     * As decode does, nibble k < 7 is masked in place (n 16^k, exact in float32) and its scale pre-divided by 16^k
     * (exact: a power of two), so fma(n 16^k, s 16^-k, -s z) rounds exactly as fma(n, s, -s z) and the shift is
     * saved; the scales are loaded once per group, not per int. A batch of 8 spent about as long dequantizing as in
     * its FMAs (harness, 9728 x 896).
     *
     * <p>The conversions name their species ({@code convertShape(I2F, F, 0)}) rather than {@code convert(I2F, 0)},
     * which finds it through {@code AbstractSpecies.withLanes}: where C2 did not fold that lookup to a constant
     * (PrintInlining: {@code computeSpecies ... callee is too large}), the conversion ran its boxed Java fallback
     * (JFR: {@code AbstractVector.convert0} frames), 3-10x slower, in a larger experimental kernel (int8 activations
     * in 16-bit lanes, not kept); the rare slow q4 prefill (the README's Kernels notes) matches that signature.
     */
    private static void dequant(int[] t, float[] s, float[] sz, int group, int gs, int in, int tile, int c0, int n,
                                float[] panel, int pOff) {
        int p = at(tile, c0 / 8, in), sBase = tile * gs * L;
        float[] zs = zeroTerms(s, sz);
        float zf = sz == null ? -MID : -1f;
        for (int j = 0; j < n; ) {
            int g = (c0 + j) / group, end = Math.min(n, (g + 1) * group - c0);
            FloatVector s0 = FloatVector.fromArray(F, s, sBase + g * L);
            FloatVector nz = FloatVector.fromArray(F, zs, sBase + g * L).mul(zf); // -8 s or -s z, exact
            FloatVector s1 = s0.mul(0x1p-4f), s2 = s0.mul(0x1p-8f), s3 = s0.mul(0x1p-12f);
            FloatVector s4 = s0.mul(0x1p-16f), s5 = s0.mul(0x1p-20f), s6 = s0.mul(0x1p-24f);
            for (; j < end; j += 8, p += 2 * L) {
                IntVector w = IntVector.fromArray(I, t, p);
                int q = pOff + j * L;
                ((FloatVector) w.and(0xf).convertShape(I2F, F, 0)).fma(s0, nz).intoArray(panel, q);
                ((FloatVector) w.and(0xf0).convertShape(I2F, F, 0)).fma(s1, nz).intoArray(panel, q + L);
                ((FloatVector) w.and(0xf00).convertShape(I2F, F, 0)).fma(s2, nz).intoArray(panel, q + 2 * L);
                ((FloatVector) w.and(0xf000).convertShape(I2F, F, 0)).fma(s3, nz).intoArray(panel, q + 3 * L);
                ((FloatVector) w.and(0xf0000).convertShape(I2F, F, 0)).fma(s4, nz).intoArray(panel, q + 4 * L);
                ((FloatVector) w.and(0xf00000).convertShape(I2F, F, 0)).fma(s5, nz).intoArray(panel, q + 5 * L);
                ((FloatVector) w.and(0xf000000).convertShape(I2F, F, 0)).fma(s6, nz).intoArray(panel, q + 6 * L);
                ((FloatVector) w.lanewise(VectorOperators.LSHR, 28).convertShape(I2F, F, 0)).fma(s0, nz).intoArray(panel, q + 7 * L);
            }
        }
    }

    /**
     * Panel (2 tiles x n inputs) times activation rows b..b+7 added into y: per input 2 panel loads, 8 broadcasts
     * and 16 FMAs into 16 accumulators (AVX-512's 32 registers hold them and the 3 live vectors).
     */
    private static void block8x2(float[] w, int n, float[] xt, int in, int c0, int b, float[] y, int stride, int off) {
        int p1 = n * L;
        int x0 = b * in + 8 * c0; // SequenceBlocks layout
        int r0 = b * stride + off, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride, r4 = r3 + stride, r5 = r4 + stride,
                r6 = r5 + stride, r7 = r6 + stride;
        FloatVector c00 = FloatVector.fromArray(F, y, r0), c01 = FloatVector.fromArray(F, y, r0 + L);
        FloatVector c10 = FloatVector.fromArray(F, y, r1), c11 = FloatVector.fromArray(F, y, r1 + L);
        FloatVector c20 = FloatVector.fromArray(F, y, r2), c21 = FloatVector.fromArray(F, y, r2 + L);
        FloatVector c30 = FloatVector.fromArray(F, y, r3), c31 = FloatVector.fromArray(F, y, r3 + L);
        FloatVector c40 = FloatVector.fromArray(F, y, r4), c41 = FloatVector.fromArray(F, y, r4 + L);
        FloatVector c50 = FloatVector.fromArray(F, y, r5), c51 = FloatVector.fromArray(F, y, r5 + L);
        FloatVector c60 = FloatVector.fromArray(F, y, r6), c61 = FloatVector.fromArray(F, y, r6 + L);
        FloatVector c70 = FloatVector.fromArray(F, y, r7), c71 = FloatVector.fromArray(F, y, r7 + L);
        for (int i = 0; i < n; i++) {
            FloatVector w0 = FloatVector.fromArray(F, w, i * L), w1 = FloatVector.fromArray(F, w, p1 + i * L);
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
        // stores take a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        c00.add(FloatVector.zero(F)).intoArray(y, r0);
        c01.add(FloatVector.zero(F)).intoArray(y, r0 + L);
        c10.add(FloatVector.zero(F)).intoArray(y, r1);
        c11.add(FloatVector.zero(F)).intoArray(y, r1 + L);
        c20.add(FloatVector.zero(F)).intoArray(y, r2);
        c21.add(FloatVector.zero(F)).intoArray(y, r2 + L);
        c30.add(FloatVector.zero(F)).intoArray(y, r3);
        c31.add(FloatVector.zero(F)).intoArray(y, r3 + L);
        c40.add(FloatVector.zero(F)).intoArray(y, r4);
        c41.add(FloatVector.zero(F)).intoArray(y, r4 + L);
        c50.add(FloatVector.zero(F)).intoArray(y, r5);
        c51.add(FloatVector.zero(F)).intoArray(y, r5 + L);
        c60.add(FloatVector.zero(F)).intoArray(y, r6);
        c61.add(FloatVector.zero(F)).intoArray(y, r6 + L);
        c70.add(FloatVector.zero(F)).intoArray(y, r7);
        c71.add(FloatVector.zero(F)).intoArray(y, r7 + L);
    }
}
