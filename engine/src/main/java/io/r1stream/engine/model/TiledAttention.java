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

    /** scores (rows, KEY_TILE), running max and sum (rows), rows = QUERY_BLOCK * group. */
    private record Scratch(float[] s, float[] m, float[] l) {}

    TiledAttention(ModelConfig c, KvLayout layout) {
        this.hd = c.headDim();
        this.group = c.kvGroup();
        this.bt = layout.blockTokens();
        this.layout = layout;
        this.scale = (float) (1.0 / Math.sqrt(hd));
        int rows = QUERY_BLOCK * group;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(new float[rows * KEY_TILE], new float[rows], new float[rows]));
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
            // scores: query i sees position p when pos0 + i >= p
            for (int p = p0; p < p1; p++) {
                KvBlock b = seq.block(p);
                int kOff = layout.offset(layer, p % bt) + kvHead * hd;
                int firstQuery = Math.max(0, p - pos0);
                for (int i = 0; i < firstQuery; i++) for (int g = 0; g < group; g++) s[(i * group + g) * KEY_TILE + p - p0] = Float.NEGATIVE_INFINITY;
                for (int i = firstQuery; i < n; i++) {
                    int qOff = qBase + i * qStride + firstHead * hd;
                    for (int g = 0; g < group; g++) {
                        s[(i * group + g) * KEY_TILE + p - p0] = VectorKernels.dot(q, qOff + g * hd, b.k(), kOff, hd) * scale;
                    }
                }
            }
            // online softmax: new max per row, rescale what was accumulated, scores -> weights
            for (int r = 0; r < rows; r++) {
                int base = r * KEY_TILE;
                float mt = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < p1 - p0; p++) mt = Math.max(mt, s[base + p]);
                if (mt == Float.NEGATIVE_INFINITY) continue; // every position of this tile is in this row's future
                float mNew = Math.max(m[r], mt);
                if (m[r] != Float.NEGATIVE_INFINITY && mNew != m[r]) {
                    float corr = (float) Math.exp(m[r] - mNew);
                    l[r] *= corr;
                    int o = outRow(r, outBase, outStride, firstHead);
                    for (int d = 0; d < hd; d++) out[o + d] *= corr;
                }
                m[r] = mNew;
                float sum = 0;
                for (int p = 0; p < p1 - p0; p++) {
                    float w = s[base + p] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(s[base + p] - mNew);
                    s[base + p] = w;
                    sum += w;
                }
                l[r] += sum;
            }
            // weighted V rows, each read once for the block
            for (int p = p0; p < p1; p++) {
                KvBlock b = seq.block(p);
                int vOff = layout.offset(layer, p % bt) + kvHead * hd;
                for (int i = Math.max(0, p - pos0); i < n; i++) {
                    for (int g = 0; g < group; g++) {
                        int r = i * group + g;
                        VectorKernels.axpy(s[r * KEY_TILE + p - p0], b.v(), vOff, out, outRow(r, outBase, outStride, firstHead), hd);
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
