package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;

import java.util.Arrays;

/**
 * Causal grouped-query attention over cached K/V, tiled: up to {@value #QUERY_BLOCK} consecutive query tokens
 * of one sequence (a prefill chunk, or one decoding token) and the query heads sharing one KV head are
 * processed together, walking the cached positions in tiles of {@value #KEY_TILE} with an online softmax
 * (running max and sum per query row, the output rescaled once per tile). Each cached K and V row is read
 * once per block of queries instead of once per query, and nothing is allocated per call (per-thread scratch).
 *
 * <p>Per query row r (one token, one head): m = running max of scores, l = running sum of exp(score - m),
 * out = running sum of exp(score - m) * v; at the end out / l, the same softmax(q k^T / sqrt(hd)) v as the
 * untiled loop, up to float32 rounding.
 */
final class TiledAttention {
    static final int QUERY_BLOCK = 16;
    static final int KEY_TILE = 64;

    private final int hd, group, bt;
    private final float scale;
    private final KvLayout layout;
    private final ThreadLocal<Scratch> scratch;

    private static final jdk.incubator.vector.VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = F.length();

    /**
     * scores (rows, KEY_TILE), running max and sum (rows), rows = QUERY_BLOCK * group; the tile's K transposed
     * (hd, KEY_TILE), zero past the tile's last position; the tile's V rows (KEY_TILE, hd).
     */
    private record Scratch(float[] s, float[] m, float[] l, float[] kt, float[] vt) {}

    TiledAttention(ModelConfig c, KvLayout layout) {
        this.hd = c.headDim();
        this.group = c.kvGroup();
        this.bt = layout.blockTokens();
        this.layout = layout;
        this.scale = (float) (1.0 / Math.sqrt(hd));
        int rows = QUERY_BLOCK * group;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(new float[rows * KEY_TILE], new float[rows], new float[rows],
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
        float[] s = sc.s, m = sc.m, l = sc.l;
        int rows = n * group, firstHead = kvHead * group, last = pos0 + n - 1;
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0f);
        for (int i = 0; i < n; i++) {
            int o = outBase + i * outStride + firstHead * hd;
            Arrays.fill(out, o, o + group * hd, 0f);
        }
        for (int p0 = 0; p0 <= last; p0 += KEY_TILE) {
            int p1 = Math.min(last + 1, p0 + KEY_TILE);
            int len = p1 - p0, vecs = (len + L - 1) / L;
            // the tile's keys transposed once for all rows of the block: kt[d * KEY_TILE + j] = K[p0 + j][d]
            float[] kt = sc.kt;
            for (int p = p0; p < p1; p++) {
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
                    for (int v = 0; v < vecs; v++) {
                        jdk.incubator.vector.FloatVector acc = jdk.incubator.vector.FloatVector.zero(F);
                        for (int d = 0; d < hd; d++) {
                            acc = jdk.incubator.vector.FloatVector.fromArray(F, kt, d * KEY_TILE + v * L)
                                    .fma(jdk.incubator.vector.FloatVector.broadcast(F, q[qg + d]), acc);
                        }
                        acc.mul(scale).intoArray(s, base + v * L);
                    }
                    for (int j = Math.max(0, visible); j < vecs * L; j++) s[base + j] = Float.NEGATIVE_INFINITY;
                }
            }
            // online softmax: new max per row, rescale what was accumulated, scores -> weights (vector exp)
            for (int r = 0; r < rows; r++) {
                int base = r * KEY_TILE;
                jdk.incubator.vector.FloatVector mv = jdk.incubator.vector.FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
                for (int v = 0; v < vecs; v++) mv = mv.max(jdk.incubator.vector.FloatVector.fromArray(F, s, base + v * L));
                float mt = mv.reduceLanes(jdk.incubator.vector.VectorOperators.MAX);
                if (mt == Float.NEGATIVE_INFINITY) continue; // every position of this tile is in this row's future
                float mNew = Math.max(m[r], mt);
                if (m[r] != Float.NEGATIVE_INFINITY && mNew != m[r]) {
                    float corr = (float) Math.exp(m[r] - mNew);
                    l[r] *= corr;
                    int o = outRow(r, outBase, outStride, firstHead);
                    for (int d = 0; d < hd; d++) out[o + d] *= corr;
                }
                m[r] = mNew;
                // scalar Math.exp, not the vector EXP: that one's results depend on whether C2 has compiled the
                // loop yet (the interpreter's and the compiled code's last bits differ), and the same request must
                // give the same logits whenever it runs
                float sum = 0;
                for (int j = 0; j < len; j++) {
                    float w = s[base + j] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(s[base + j] - mNew);
                    s[base + j] = w;
                    sum += w;
                }
                l[r] += sum;
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
                    for (; d + L <= hd; d += L) {
                        jdk.incubator.vector.FloatVector acc = jdk.incubator.vector.FloatVector.fromArray(F, out, o + d);
                        for (int j = 0; j < visible; j++) {
                            acc = jdk.incubator.vector.FloatVector.fromArray(F, vt, j * hd + d)
                                    .fma(jdk.incubator.vector.FloatVector.broadcast(F, s[base + j]), acc);
                        }
                        acc.intoArray(out, o + d);
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
            float inv = 1f / l[r];
            int o = outRow(r, outBase, outStride, firstHead);
            for (int d = 0; d < hd; d++) out[o + d] *= inv;
        }
    }

    private int outRow(int r, int outBase, int outStride, int firstHead) {
        int i = r / group, g = r % group;
        return outBase + i * outStride + (firstHead + g) * hd;
    }
}
