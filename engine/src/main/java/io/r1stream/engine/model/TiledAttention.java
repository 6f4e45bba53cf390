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
        float[] s = new float[KEY_TILE];
        s[1] = Float.NEGATIVE_INFINITY;
        weights(s, 1, 1, new float[1], new float[L]);
        int[] idx = new int[L];
        transposeL(new float[L], 0, idx, new float[KEY_TILE], 0, 1);
    }

    /**
     * scores (rows, KEY_TILE), running max (rows) and sum (rows, L lanewise partial sums), rows = QUERY_BLOCK * group;
     * the tile's K transposed (hd, KEY_TILE), zero past the tile's last position; the tile's V rows (KEY_TILE, hd).
     */
    private record Scratch(float[] s, float[] m, float[] lv, float[] kt, float[] vt, int[] qRow, int[] outRow) {}

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
                new float[c.headDim() * KEY_TILE], new float[KEY_TILE * c.headDim()], new int[rows], new int[rows]));
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
        int[] qRow = sc.qRow, oRow = sc.outRow;
        int rows = n * group, firstHead = kvHead * group, last = pos0 + n - 1;
        // rows are (query, head) pairs, query-major: row r is query r / group, head firstHead + r % group; the kernels
        // take rows 4 (or 2) at a time whichever queries they belong to, each row with its own visible length
        for (int r = 0; r < rows; r++) {
            qRow[r] = qBase + (r / group) * qStride + (firstHead + r % group) * hd;
            oRow[r] = outBase + (r / group) * outStride + (firstHead + r % group) * hd;
        }
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(lv, 0, rows * L, 0f);
        for (int r = 0; r < rows; r++) Arrays.fill(out, oRow[r], oRow[r] + hd, 0f);
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
            // scores, L positions per vector (lanes are positions: no horizontal sum per score), 4 rows sharing each
            // key load; then per row the vectors past the 4-vector groups and -inf where it does not see the position
            // (query i sees position p when pos0 + i >= p)
            int v4 = vecs - vecs % 4;
            for (int v = 0; v < v4; v += 4) {
                int r = 0, col = v * L;
                for (; r + 4 <= rows; r += 4) {
                    int base = r * KEY_TILE + col;
                    scores4x4(kt, col, q, qRow[r], qRow[r + 1], qRow[r + 2], qRow[r + 3], s, base);
                }
                for (; r + 2 <= rows; r += 2) scores4x2(kt, col, q, qRow[r], qRow[r + 1], s, r * KEY_TILE + col, (r + 1) * KEY_TILE + col);
                for (; r < rows; r++) scores4(kt, col, q, qRow[r], s, r * KEY_TILE + col);
            }
            for (int r = 0; r < rows; r++) scoreTail(kt, v4, vecs, q, qRow[r], s, r * KEY_TILE, visible(r, len, pos0, p0));
            // online softmax: new max per row, rescale what was accumulated; then scores -> weights (vector exp) over
            // all rows in one loop, whose exps are independent of each other (per row, the max reduction and the exp's
            // 16-deep chain left the core waiting: the exp took as long as the scores)
            for (int r = 0; r < rows; r++) {
                int base = r * KEY_TILE;
                FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int v = 0; v < vecs; v++) mv = mv.max(FloatVector.fromArray(F, s, base + v * L));
                float mt = mv.reduceLanes(VectorOperators.MAX);
                if (mt == Float.NEGATIVE_INFINITY) { // every position of this tile is in this row's future: weights 0
                    mt = m[r];
                    for (int j = base; j < base + vecs * L; j++) s[j] = Float.NEGATIVE_INFINITY;
                }
                float mNew = Math.max(m[r], mt);
                if (m[r] != Float.NEGATIVE_INFINITY && mNew != m[r]) {
                    float corr = (float) Math.exp(m[r] - mNew);
                    FloatVector.fromArray(F, lv, r * L).mul(corr).intoArray(lv, r * L);
                    scale(out, oRow[r], hd, corr);
                }
                m[r] = mNew;
            }
            // weights = exp(score - max) by VectorExp (the same bits compiled or not; masked positions 0), summed
            // lanewise into each row's L partial sums, which are added up once at the end in lane order
            weights(s, rows, vecs, m, lv);
            // weighted V rows: the tile's V copied once, then per 4 rows and 4L-wide chunk of the head 16 register
            // accumulators over the positions the last of them sees (weights past a row's own are 0: adding them
            // leaves its sums as they are, so a row's result does not depend on the rows it is grouped with)
            float[] vt = sc.vt;
            for (int p = p0; p < p1; p++) {
                KvBlock b = seq.block(p);
                System.arraycopy(b.v(), layout.offset(layer, p % bt) + kvHead * hd, vt, (p - p0) * hd, hd);
            }
            int r = 0;
            if (hd % (4 * L) == 0) {
                for (; r + 4 <= rows; r += 4) {
                    int visible = visible(r + 3, len, pos0, p0);
                    if (visible <= 0) continue;
                    for (int d = 0; d < hd; d += 4 * L) weighted4x4(vt, s, r * KEY_TILE, visible, out, oRow[r], oRow[r + 1], oRow[r + 2], oRow[r + 3], d);
                }
                for (; r + 2 <= rows; r += 2) {
                    int visible = visible(r + 1, len, pos0, p0);
                    if (visible <= 0) continue;
                    for (int d = 0; d < hd; d += 4 * L) weighted4x2(vt, s, r * KEY_TILE, (r + 1) * KEY_TILE, visible, out, oRow[r] + d, oRow[r + 1] + d, d);
                }
            }
            for (; r < rows; r++) {
                int visible = visible(r, len, pos0, p0), base = r * KEY_TILE, o = oRow[r];
                if (visible <= 0) continue;
                int d = 0;
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
        for (int r = 0; r < rows; r++) {
            float l = 0;
            for (int j = 0; j < L; j++) l += lv[r * L + j];
            scale(out, oRow[r], hd, 1f / l);
        }
    }

    /** Positions of the tile at p0 (len long) that row r's query sees: all up to its own position, at most len. */
    private int visible(int r, int len, int pos0, int p0) { return Math.min(len, pos0 + r / group - p0 + 1); }

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
     * s[r KEY_TILE, r KEY_TILE + vecs L) = exp(s - m[r]) for rows r < rows, 0 where s is -inf (the future, past the
     * tile; a row whose max is still -inf has no visible position yet and gets 0s), added lanewise into
     * lv[r L, r L + L). Its own small method so C2 inlines every vector call into it (inside attend it kept the
     * boxed fallback for the stores).
     */
    private static void weights(float[] s, int rows, int vecs, float[] m, float[] lv) {
        for (int r = 0; r < rows; r++) {
            int base = r * KEY_TILE;
            float max = m[r] == Float.NEGATIVE_INFINITY ? 0f : m[r];
            FloatVector sum = FloatVector.fromArray(F, lv, r * L);
            for (int v = 0; v < vecs; v++) {
                FloatVector sv = FloatVector.fromArray(F, s, base + v * L);
                FloatVector w = VectorExp.exp(sv.sub(max)).blend(0f, sv.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
                w.intoArray(s, base + v * L);
                sum = sum.add(w);
            }
            sum.add(FloatVector.zero(F)).intoArray(lv, r * L);
        }
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

    /** {@link #scores4} for four query rows (q at qa..qd, scores at sOff + r * KEY_TILE): each key vector loaded once for all. */
    private void scores4x4(float[] kt, int col, float[] q, int qa, int qb, int qc, int qd, float[] s, int sOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        for (int d = 0; d < hd; d++) {
            int k = d * KEY_TILE + col;
            FloatVector k0 = FloatVector.fromArray(F, kt, k), k1 = FloatVector.fromArray(F, kt, k + L);
            FloatVector k2 = FloatVector.fromArray(F, kt, k + 2 * L), k3 = FloatVector.fromArray(F, kt, k + 3 * L);
            FloatVector x = FloatVector.broadcast(F, q[qa + d]);
            a0 = k0.fma(x, a0);
            a1 = k1.fma(x, a1);
            a2 = k2.fma(x, a2);
            a3 = k3.fma(x, a3);
            x = FloatVector.broadcast(F, q[qb + d]);
            b0 = k0.fma(x, b0);
            b1 = k1.fma(x, b1);
            b2 = k2.fma(x, b2);
            b3 = k3.fma(x, b3);
            x = FloatVector.broadcast(F, q[qc + d]);
            c0 = k0.fma(x, c0);
            c1 = k1.fma(x, c1);
            c2 = k2.fma(x, c2);
            c3 = k3.fma(x, c3);
            x = FloatVector.broadcast(F, q[qd + d]);
            e0 = k0.fma(x, e0);
            e1 = k1.fma(x, e1);
            e2 = k2.fma(x, e2);
            e3 = k3.fma(x, e3);
        }
        int t = sOff;
        a0.mul(scale).intoArray(s, t);
        a1.mul(scale).intoArray(s, t + L);
        a2.mul(scale).intoArray(s, t + 2 * L);
        a3.mul(scale).intoArray(s, t + 3 * L);
        t += KEY_TILE;
        b0.mul(scale).intoArray(s, t);
        b1.mul(scale).intoArray(s, t + L);
        b2.mul(scale).intoArray(s, t + 2 * L);
        b3.mul(scale).intoArray(s, t + 3 * L);
        t += KEY_TILE;
        c0.mul(scale).intoArray(s, t);
        c1.mul(scale).intoArray(s, t + L);
        c2.mul(scale).intoArray(s, t + 2 * L);
        c3.mul(scale).intoArray(s, t + 3 * L);
        t += KEY_TILE;
        e0.mul(scale).intoArray(s, t);
        e1.mul(scale).intoArray(s, t + L);
        e2.mul(scale).intoArray(s, t + 2 * L);
        e3.mul(scale).intoArray(s, t + 3 * L);
    }

    /**
     * Weighted V for four rows (weights at base + r * KEY_TILE, outputs oa..od plus d) over head dims [d, d + 4L):
     * each V vector loaded once for all four.
     */
    private void weighted4x4(float[] vt, float[] s, int base, int visible, float[] out, int oa, int ob, int oc, int od, int d) {
        FloatVector a0 = FloatVector.fromArray(F, out, oa + d), a1 = FloatVector.fromArray(F, out, oa + d + L);
        FloatVector a2 = FloatVector.fromArray(F, out, oa + d + 2 * L), a3 = FloatVector.fromArray(F, out, oa + d + 3 * L);
        FloatVector b0 = FloatVector.fromArray(F, out, ob + d), b1 = FloatVector.fromArray(F, out, ob + d + L);
        FloatVector b2 = FloatVector.fromArray(F, out, ob + d + 2 * L), b3 = FloatVector.fromArray(F, out, ob + d + 3 * L);
        FloatVector c0 = FloatVector.fromArray(F, out, oc + d), c1 = FloatVector.fromArray(F, out, oc + d + L);
        FloatVector c2 = FloatVector.fromArray(F, out, oc + d + 2 * L), c3 = FloatVector.fromArray(F, out, oc + d + 3 * L);
        FloatVector e0 = FloatVector.fromArray(F, out, od + d), e1 = FloatVector.fromArray(F, out, od + d + L);
        FloatVector e2 = FloatVector.fromArray(F, out, od + d + 2 * L), e3 = FloatVector.fromArray(F, out, od + d + 3 * L);
        for (int j = 0; j < visible; j++) {
            int v = j * hd + d;
            FloatVector v0 = FloatVector.fromArray(F, vt, v), v1 = FloatVector.fromArray(F, vt, v + L);
            FloatVector v2 = FloatVector.fromArray(F, vt, v + 2 * L), v3 = FloatVector.fromArray(F, vt, v + 3 * L);
            FloatVector w = FloatVector.broadcast(F, s[base + j]);
            a0 = v0.fma(w, a0);
            a1 = v1.fma(w, a1);
            a2 = v2.fma(w, a2);
            a3 = v3.fma(w, a3);
            w = FloatVector.broadcast(F, s[base + KEY_TILE + j]);
            b0 = v0.fma(w, b0);
            b1 = v1.fma(w, b1);
            b2 = v2.fma(w, b2);
            b3 = v3.fma(w, b3);
            w = FloatVector.broadcast(F, s[base + 2 * KEY_TILE + j]);
            c0 = v0.fma(w, c0);
            c1 = v1.fma(w, c1);
            c2 = v2.fma(w, c2);
            c3 = v3.fma(w, c3);
            w = FloatVector.broadcast(F, s[base + 3 * KEY_TILE + j]);
            e0 = v0.fma(w, e0);
            e1 = v1.fma(w, e1);
            e2 = v2.fma(w, e2);
            e3 = v3.fma(w, e3);
        }
        // stores take a fresh vector, not the loop phi (see Bf16Tiles.block8x2)
        a0.add(FloatVector.zero(F)).intoArray(out, oa + d);
        a1.add(FloatVector.zero(F)).intoArray(out, oa + d + L);
        a2.add(FloatVector.zero(F)).intoArray(out, oa + d + 2 * L);
        a3.add(FloatVector.zero(F)).intoArray(out, oa + d + 3 * L);
        b0.add(FloatVector.zero(F)).intoArray(out, ob + d);
        b1.add(FloatVector.zero(F)).intoArray(out, ob + d + L);
        b2.add(FloatVector.zero(F)).intoArray(out, ob + d + 2 * L);
        b3.add(FloatVector.zero(F)).intoArray(out, ob + d + 3 * L);
        c0.add(FloatVector.zero(F)).intoArray(out, oc + d);
        c1.add(FloatVector.zero(F)).intoArray(out, oc + d + L);
        c2.add(FloatVector.zero(F)).intoArray(out, oc + d + 2 * L);
        c3.add(FloatVector.zero(F)).intoArray(out, oc + d + 3 * L);
        e0.add(FloatVector.zero(F)).intoArray(out, od + d);
        e1.add(FloatVector.zero(F)).intoArray(out, od + d + L);
        e2.add(FloatVector.zero(F)).intoArray(out, od + d + 2 * L);
        e3.add(FloatVector.zero(F)).intoArray(out, od + d + 3 * L);
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
}
