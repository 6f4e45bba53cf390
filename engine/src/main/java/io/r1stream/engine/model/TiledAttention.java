package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal grouped-query attention over cached K/V, tiled: up to {@value #QUERY_BLOCK} consecutive query tokens
 * of one sequence (a prefill chunk, or one decoding token) and the query heads sharing one KV head are
 * processed together, walking the cached positions in tiles of {@value #KEY_TILE} with an online softmax
 * (running max and sum per query row, the output rescaled once per tile, exp by {@link VectorExp}). Each cached K
 * and V row is read once per block of queries instead of once per query, and nothing is allocated per call
 * (per-thread scratch).
 *
 * <p>Per query row r (one token, one head): m = running max of scores, l = running sum of exp(score - m),
 * out = running sum of exp(score - m) * v; at the end out / l, the same softmax(q k^T / sqrt(hd)) v as the
 * untiled loop, up to float32 rounding.
 */
final class TiledAttention {
    static final int QUERY_BLOCK = 16;
    static final int KEY_TILE = 64;

    private final int hd, group, bt;
    private final int[] keyIndex; // j * kvDim for j < L: the offsets of L consecutive positions' K rows in a block
    private final float scale;
    private final KvLayout layout;
    private final ThreadLocal<Scratch> scratch;

    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();

    static {
        // run the weights kernel once, with a masked lane, so its mask and blend classes are initialized before C2
        // compiles it (see QuantKernels: uninitialized vector classes leave the boxed fallback, 30x slower)
        float[] s = new float[L];
        s[1] = Float.NEGATIVE_INFINITY;
        weights(s, 0, 1, 0f, new float[L], 0);
        int[] idx = new int[L];
        transposeL(new float[L], 0, idx, new float[KEY_TILE], 0, 1);
    }

    /**
     * scores (rows, KEY_TILE), running max (rows) and sum (rows, L lanewise partial sums), rows = QUERY_BLOCK * group;
     * the tile's K transposed (hd, KEY_TILE), zero past the tile's last position; the tile's V rows (KEY_TILE, hd).
     */
    private record Scratch(float[] s, float[] m, float[] lv, float[] kt, float[] vt) {}

    TiledAttention(ModelConfig c, KvLayout layout) {
        this.hd = c.headDim();
        this.group = c.kvGroup();
        this.bt = layout.blockTokens();
        this.layout = layout;
        this.scale = (float) (1.0 / Math.sqrt(hd));
        this.keyIndex = new int[L];
        for (int j = 0; j < L; j++) keyIndex[j] = j * layout.kvDim();
        int rows = QUERY_BLOCK * group;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(new float[rows * KEY_TILE], new float[rows], new float[rows * L],
                new float[c.headDim() * KEY_TILE], new float[KEY_TILE * c.headDim()]));
    }

    /**
     * Attention for queries at positions pos0 .. pos0+n-1 (n <= QUERY_BLOCK) of one sequence, for the query
     * heads of {@code kvHead}; each query attends to positions [0, its own].
     *
     * @param q       concatenated q heads, query i at qBase + i * qStride
     * @param out     output rows, query i's heads at outBase + i * outStride
     */
    void attend(int layer, KvSequence seq, int pos0, int n, float[] q, int qBase, int qStride, int kvHead,
                float[] out, int outBase, int outStride) {
        Scratch sc = scratch.get();
        float[] s = sc.s, m = sc.m, lv = sc.lv;
        int rows = n * group, firstHead = kvHead * group, last = pos0 + n - 1;
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(lv, 0, rows * L, 0f);
        for (int i = 0; i < n; i++) {
            int o = outBase + i * outStride + firstHead * hd;
            Arrays.fill(out, o, o + group * hd, 0f);
        }
        for (int p0 = 0; p0 <= last; p0 += KEY_TILE) {
            int p1 = Math.min(last + 1, p0 + KEY_TILE);
            int len = p1 - p0, vecs = (len + L - 1) / L;
            // the tile's keys transposed once for all rows of the block: kt[d * KEY_TILE + j] = K[p0 + j][d]
            float[] kt = sc.kt;
            int gathered = 0;
            if (bt % L == 0) { // L positions at a time: inside one KV block, kvDim apart; one gather per dimension
                for (; gathered + L <= len; gathered += L) {
                    int p = p0 + gathered;
                    transposeL(seq.block(p).k(), layout.offset(layer, p % bt) + kvHead * hd, keyIndex, kt, gathered, hd);
                }
            }
            for (int p = p0 + gathered; p < p1; p++) {
                KvBlock b = seq.block(p);
                float[] k = b.k();
                int kOff = layout.offset(layer, p % bt) + kvHead * hd, j = p - p0;
                for (int d = 0; d < hd; d++) kt[d * KEY_TILE + j] = k[kOff + d];
            }
            for (int j = len; j < vecs * L; j++) for (int d = 0; d < hd; d++) kt[d * KEY_TILE + j] = 0f;
            // scores, L positions per vector (lanes are positions: no horizontal sum per score); query i sees
            // position p when pos0 + i >= p
            for (int i = 0; i < n; i++) {
                int qOff = qBase + i * qStride + firstHead * hd;
                int visible = Math.min(len, pos0 + i - p0 + 1); // positions of this tile query i sees
                for (int g = 0; g < group; g++) {
                    int base = (i * group + g) * KEY_TILE, qg = qOff + g * hd;
                    int v = 0;
                    if (g + 1 < group) { // two heads of the query share every key load
                        for (; v + 4 <= vecs; v += 4) scores4x2(kt, v * L, q, qg, qg + hd, s, base + v * L, base + KEY_TILE + v * L);
                        scoreTail(kt, v, vecs, q, qg + hd, s, base + KEY_TILE, visible);
                        g++;
                    } else {
                        for (; v + 4 <= vecs; v += 4) scores4(kt, v * L, q, qg, s, base + v * L);
                    }
                    scoreTail(kt, v, vecs, q, qg, s, base, visible);
                }
            }
            // online softmax: new max per row, rescale what was accumulated, scores -> weights (vector exp)
            for (int r = 0; r < rows; r++) {
                int base = r * KEY_TILE;
                FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int v = 0; v < vecs; v++) mv = mv.max(FloatVector.fromArray(F, s, base + v * L));
                float mt = mv.reduceLanes(VectorOperators.MAX);
                if (mt == Float.NEGATIVE_INFINITY) continue; // every position of this tile is in this row's future
                float mNew = Math.max(m[r], mt);
                if (m[r] != Float.NEGATIVE_INFINITY && mNew != m[r]) {
                    float corr = (float) Math.exp(m[r] - mNew);
                    FloatVector.fromArray(F, lv, r * L).mul(corr).intoArray(lv, r * L);
                    scale(out, outRow(r, outBase, outStride, firstHead), hd, corr);
                }
                m[r] = mNew;
                // weights = exp(score - max) by VectorExp (the same bits compiled or not; masked positions 0), summed
                // lanewise into the row's L partial sums, which are added up once at the end in lane order
                weights(s, base, vecs, mNew, lv, r * L);
            }
            // weighted V rows: the tile's V copied once, then per row and L-wide chunk of the head one register
            // accumulator over the visible positions (no load and store of the output per position)
            float[] vt = sc.vt;
            for (int p = p0; p < p1; p++) {
                KvBlock b = seq.block(p);
                System.arraycopy(b.v(), layout.offset(layer, p % bt) + kvHead * hd, vt, (p - p0) * hd, hd);
            }
            for (int i = 0; i < n; i++) {
                int visible = Math.min(len, pos0 + i - p0 + 1);
                if (visible <= 0) continue;
                for (int g = 0; g < group; g++) {
                    int r = i * group + g, base = r * KEY_TILE, o = outRow(r, outBase, outStride, firstHead);
                    int d = 0;
                    if (g + 1 < group && hd % (4 * L) == 0) { // two heads of the query share every V load
                        int o2 = outRow(r + 1, outBase, outStride, firstHead);
                        for (; d < hd; d += 4 * L) weighted4x2(vt, s, base, base + KEY_TILE, visible, out, o + d, o2 + d, d);
                        g++;
                        continue;
                    }
                    for (; d + 4 * L <= hd; d += 4 * L) weighted4(vt, s, base, visible, out, o + d, d);
                    for (; d + L <= hd; d += L) {
                        FloatVector acc = FloatVector.fromArray(F, out, o + d);
                        for (int j = 0; j < visible; j++) {
                            acc = FloatVector.fromArray(F, vt, j * hd + d)
                                    .fma(FloatVector.broadcast(F, s[base + j]), acc);
                        }
                        acc.add(FloatVector.zero(F)).intoArray(out, o + d);
                    }
                    for (; d < hd; d++) {
                        float acc = out[o + d];
                        for (int j = 0; j < visible; j++) acc += s[base + j] * vt[j * hd + d];
                        out[o + d] = acc;
                    }
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            float l = 0;
            for (int j = 0; j < L; j++) l += lv[r * L + j];
            scale(out, outRow(r, outBase, outStride, firstHead), hd, 1f / l);
        }
    }

    /** kt[d * KEY_TILE + j0 + j] = k[kOff + idx[j] + d] for j < L, d < hd: L positions' keys transposed by gathers. */
    private static void transposeL(float[] k, int kOff, int[] idx, float[] kt, int j0, int hd) {
        for (int d = 0; d < hd; d++) FloatVector.fromArray(F, k, kOff + d, idx, 0).intoArray(kt, d * KEY_TILE + j0);
    }

    /** a[o, o + n) *= f: the rescale of a row's output (a small method: inside attend its stores stayed boxed). */
    private static void scale(float[] a, int o, int n, float f) {
        int d = 0;
        for (; d + L <= n; d += L) FloatVector.fromArray(F, a, o + d).mul(f).intoArray(a, o + d);
        for (; d < n; d++) a[o + d] *= f;
    }

    /**
     * s[base, base + vecs L) = exp(s - max), 0 where s is -inf (the future, past the tile), added lanewise into
     * lv[lvOff, lvOff + L). Its own small method so C2 inlines every vector call into it (inside attend it kept the
     * boxed fallback for the stores).
     */
    private static void weights(float[] s, int base, int vecs, float max, float[] lv, int lvOff) {
        FloatVector sum = FloatVector.fromArray(F, lv, lvOff);
        for (int v = 0; v < vecs; v++) {
            FloatVector sv = FloatVector.fromArray(F, s, base + v * L);
            FloatVector w = VectorExp.exp(sv.sub(max)).blend(0f, sv.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            w.intoArray(s, base + v * L);
            sum = sum.add(w);
        }
        sum.add(FloatVector.zero(F)).intoArray(lv, lvOff);
    }

    /**
     * Scores of one query row against 4L consecutive positions of the tile (from column {@code col} of the
     * transposed keys): 4 independent FMA chains, so the loop over the head runs at FMA throughput, not latency.
     */
    private void scores4(float[] kt, int col, float[] q, int qg, float[] s, int sOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < hd; d++) {
            FloatVector qd = FloatVector.broadcast(F, q[qg + d]);
            int k = d * KEY_TILE + col;
            a0 = FloatVector.fromArray(F, kt, k).fma(qd, a0);
            a1 = FloatVector.fromArray(F, kt, k + L).fma(qd, a1);
            a2 = FloatVector.fromArray(F, kt, k + 2 * L).fma(qd, a2);
            a3 = FloatVector.fromArray(F, kt, k + 3 * L).fma(qd, a3);
        }
        a0.mul(scale).intoArray(s, sOff);
        a1.mul(scale).intoArray(s, sOff + L);
        a2.mul(scale).intoArray(s, sOff + 2 * L);
        a3.mul(scale).intoArray(s, sOff + 3 * L);
    }

    /**
     * Scores of one query row for the tile's vectors [v, vecs) (those past the 4-vector kernels), then -inf for the
     * positions the row does not see (from {@code visible} to the end of its last vector).
     */
    private void scoreTail(float[] kt, int v, int vecs, float[] q, int qg, float[] s, int base, int visible) {
        for (; v < vecs; v++) {
            FloatVector acc = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) acc = FloatVector.fromArray(F, kt, d * KEY_TILE + v * L).fma(FloatVector.broadcast(F, q[qg + d]), acc);
            acc.mul(scale).intoArray(s, base + v * L);
        }
        for (int j = Math.max(0, visible); j < vecs * L; j++) s[base + j] = Float.NEGATIVE_INFINITY;
    }

    /** {@link #scores4} for two query rows (sOff, tOff) at once: each key vector loaded once for both. */
    private void scores4x2(float[] kt, int col, float[] q, int qg, int qh, float[] s, int sOff, int tOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int d = 0; d < hd; d++) {
            FloatVector qd = FloatVector.broadcast(F, q[qg + d]), qe = FloatVector.broadcast(F, q[qh + d]);
            int k = d * KEY_TILE + col;
            FloatVector k0 = FloatVector.fromArray(F, kt, k), k1 = FloatVector.fromArray(F, kt, k + L);
            FloatVector k2 = FloatVector.fromArray(F, kt, k + 2 * L), k3 = FloatVector.fromArray(F, kt, k + 3 * L);
            a0 = k0.fma(qd, a0);
            a1 = k1.fma(qd, a1);
            a2 = k2.fma(qd, a2);
            a3 = k3.fma(qd, a3);
            b0 = k0.fma(qe, b0);
            b1 = k1.fma(qe, b1);
            b2 = k2.fma(qe, b2);
            b3 = k3.fma(qe, b3);
        }
        a0.mul(scale).intoArray(s, sOff);
        a1.mul(scale).intoArray(s, sOff + L);
        a2.mul(scale).intoArray(s, sOff + 2 * L);
        a3.mul(scale).intoArray(s, sOff + 3 * L);
        b0.mul(scale).intoArray(s, tOff);
        b1.mul(scale).intoArray(s, tOff + L);
        b2.mul(scale).intoArray(s, tOff + 2 * L);
        b3.mul(scale).intoArray(s, tOff + 3 * L);
    }

    /** {@link #weighted4} for two query rows (weights at base and base2, outputs o and o2) sharing each V load. */
    private void weighted4x2(float[] vt, float[] s, int base, int base2, int visible, float[] out, int o, int o2, int d) {
        FloatVector a0 = FloatVector.fromArray(F, out, o), a1 = FloatVector.fromArray(F, out, o + L);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 2 * L), a3 = FloatVector.fromArray(F, out, o + 3 * L);
        FloatVector b0 = FloatVector.fromArray(F, out, o2), b1 = FloatVector.fromArray(F, out, o2 + L);
        FloatVector b2 = FloatVector.fromArray(F, out, o2 + 2 * L), b3 = FloatVector.fromArray(F, out, o2 + 3 * L);
        for (int j = 0; j < visible; j++) {
            FloatVector w = FloatVector.broadcast(F, s[base + j]), u = FloatVector.broadcast(F, s[base2 + j]);
            int v = j * hd + d;
            FloatVector v0 = FloatVector.fromArray(F, vt, v), v1 = FloatVector.fromArray(F, vt, v + L);
            FloatVector v2 = FloatVector.fromArray(F, vt, v + 2 * L), v3 = FloatVector.fromArray(F, vt, v + 3 * L);
            a0 = v0.fma(w, a0);
            a1 = v1.fma(w, a1);
            a2 = v2.fma(w, a2);
            a3 = v3.fma(w, a3);
            b0 = v0.fma(u, b0);
            b1 = v1.fma(u, b1);
            b2 = v2.fma(u, b2);
            b3 = v3.fma(u, b3);
        }
        // stores take a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        a0.add(FloatVector.zero(F)).intoArray(out, o);
        a1.add(FloatVector.zero(F)).intoArray(out, o + L);
        a2.add(FloatVector.zero(F)).intoArray(out, o + 2 * L);
        a3.add(FloatVector.zero(F)).intoArray(out, o + 3 * L);
        b0.add(FloatVector.zero(F)).intoArray(out, o2);
        b1.add(FloatVector.zero(F)).intoArray(out, o2 + L);
        b2.add(FloatVector.zero(F)).intoArray(out, o2 + 2 * L);
        b3.add(FloatVector.zero(F)).intoArray(out, o2 + 3 * L);
    }

    /**
     * out[o, o + 4L) += sum over the visible positions j of weight j times V row j's dims [d, d + 4L): 4 independent
     * accumulators (one per L-wide chunk) for FMA throughput.
     */
    private void weighted4(float[] vt, float[] s, int base, int visible, float[] out, int o, int d) {
        FloatVector a0 = FloatVector.fromArray(F, out, o);
        FloatVector a1 = FloatVector.fromArray(F, out, o + L);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 2 * L);
        FloatVector a3 = FloatVector.fromArray(F, out, o + 3 * L);
        for (int j = 0; j < visible; j++) {
            FloatVector w = FloatVector.broadcast(F, s[base + j]);
            int v = j * hd + d;
            a0 = FloatVector.fromArray(F, vt, v).fma(w, a0);
            a1 = FloatVector.fromArray(F, vt, v + L).fma(w, a1);
            a2 = FloatVector.fromArray(F, vt, v + 2 * L).fma(w, a2);
            a3 = FloatVector.fromArray(F, vt, v + 3 * L).fma(w, a3);
        }
        // stores take a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        a0.add(FloatVector.zero(F)).intoArray(out, o);
        a1.add(FloatVector.zero(F)).intoArray(out, o + L);
        a2.add(FloatVector.zero(F)).intoArray(out, o + 2 * L);
        a3.add(FloatVector.zero(F)).intoArray(out, o + 3 * L);
    }

    private int outRow(int r, int outBase, int outStride, int firstHead) {
        int i = r / group, g = r % group;
        return outBase + i * outStride + (firstHead + g) * hd;
    }
}
