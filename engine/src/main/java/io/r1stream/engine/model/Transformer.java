package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;

import java.util.List;

/**
 * The Qwen2 / Llama decoder forward pass on CPU, in llama2.c order, over a batch of sequences at once.
 * All new tokens of all sequences in a step form one matrix of rows (T = total new tokens), so every weight
 * matrix is read once per step however many sequences decode (continuous batching); attention runs per
 * token over that token's own sequence's cached K/V.
 *
 * <p>Not thread-safe: one engine loop drives it. Matmuls and attention fan out over {@link MatmulThreads}.
 */
public final class Transformer implements ForwardPass {
    private final ModelConfig c;
    private final ModelWeights w;
    private final MatmulThreads threads;
    private final Rope rope;
    private final KvLayout kvLayout;

    public Transformer(ModelWeights weights, MatmulThreads threads, int kvBlockTokens) {
        this.c = weights.config();
        this.w = weights;
        this.threads = threads;
        this.rope = new Rope(c);
        this.kvLayout = new KvLayout(c.numLayers(), c.kvDim(), kvBlockTokens);
    }

    @Override public ModelConfig config() { return c; }
    @Override public String device() { return "cpu"; }
    public ModelWeights weights() { return w; }
    @Override public KvLayout kvLayout() { return kvLayout; }
    public MatmulThreads threads() { return threads; }

    /**
     * Runs one step. Each sequence's KV must already have room reserved for its new tokens
     * ({@link KvSequence#reserve}); on return the new positions are committed.
     *
     * @return logits (vocab floats) per step in order; null entries where {@code wantLogits} was false
     */
    @Override
    public float[][] forward(List<SequenceStep> steps) {
        int h = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim(), hd = c.headDim();
        int inter = c.intermediateSize(), qkvOut = qDim + 2 * kvDim;
        int total = 0;
        for (SequenceStep s : steps) total += s.tokens().length;
        final int T = total;

        // Per-row bookkeeping: which step and position each of the T rows is.
        int[] rowStep = new int[T];
        int[] rowPos = new int[T];
        float[] cos = new float[T * hd / 2], sin = new float[T * hd / 2]; // (T, headDim/2)
        float[] x = new float[T * h];                                     // (T, hidden) residual stream
        int r = 0;
        float[] cosTmp = new float[hd / 2], sinTmp = new float[hd / 2];
        for (int si = 0; si < steps.size(); si++) {
            SequenceStep s = steps.get(si);
            int start = s.kv().length();
            for (int j = 0; j < s.tokens().length; j++, r++) {
                rowStep[r] = si;
                rowPos[r] = start + j;
                w.embed(s.tokens()[j], x, r * h);
                rope.angles(start + j, cosTmp, sinTmp);
                System.arraycopy(cosTmp, 0, cos, r * hd / 2, hd / 2);
                System.arraycopy(sinTmp, 0, sin, r * hd / 2, hd / 2);
            }
        }

        float[] xb = new float[T * h];          // (T, hidden) normed input
        float[] qkv = new float[T * qkvOut];    // (T, qDim + 2 kvDim)
        float[] att = new float[T * qDim];      // (T, qDim) attention output
        float[] proj = new float[T * h];        // (T, hidden)
        float[] gateUp = new float[T * 2 * inter]; // (T, 2 intermediate)
        float[] act = new float[T * inter];     // (T, intermediate)
        float eps = (float) c.rmsNormEps();

        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            // ---- attention: RMSNorm, q/k/v (+bias), RoPE, write K/V, attend, project, residual
            rmsNorm(x, lw.attnNorm(), xb, T, h, eps);
            lw.qkv().apply(xb, T, qkv);
            for (int t = 0; t < T; t++) {
                int base = t * qkvOut;
                if (lw.qkvBias() != null) {
                    float[] bias = lw.qkvBias();
                    for (int i = 0; i < qkvOut; i++) qkv[base + i] += bias[i];
                }
                float[] ct = slice(cos, t * hd / 2, hd / 2, cosTmp), st = slice(sin, t * hd / 2, hd / 2, sinTmp);
                for (int head = 0; head < c.numHeads(); head++) rope.rotate(qkv, base + head * hd, ct, st);
                for (int head = 0; head < c.numKvHeads(); head++) rope.rotate(qkv, base + qDim + head * hd, ct, st);
                KvSequence seq = steps.get(rowStep[t]).kv();
                KvBlock block = seq.block(rowPos[t]);
                int off = kvLayout.offset(l, rowPos[t] % kvLayout.blockTokens());
                System.arraycopy(qkv, base + qDim, block.k(), off, kvDim);
                System.arraycopy(qkv, base + qDim + kvDim, block.v(), off, kvDim);
            }
            final int layer = l;
            threads.forRows(T * c.numKvHeads(), 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int t = i / c.numKvHeads(), kvHead = i % c.numKvHeads();
                    attend(layer, steps.get(rowStep[t]).kv(), rowPos[t], qkv, t * qkvOut, kvHead, att, t * qDim);
                }
            });
            lw.o().apply(att, T, proj);
            for (int i = 0; i < T * h; i++) x[i] += proj[i];

            // ---- MLP: RMSNorm, SiLU(gate) * up, down, residual
            rmsNorm(x, lw.mlpNorm(), xb, T, h, eps);
            lw.gateUp().apply(xb, T, gateUp);
            for (int t = 0; t < T; t++) {
                int g = t * 2 * inter, u = g + inter, a = t * inter;
                for (int i = 0; i < inter; i++) {
                    float gv = gateUp[g + i];
                    act[a + i] = gv / (1f + (float) Math.exp(-gv)) * gateUp[u + i];
                }
            }
            lw.down().apply(act, T, proj);
            for (int i = 0; i < T * h; i++) x[i] += proj[i];
        }

        // Commit the new positions, then project only the rows that need logits.
        r = 0;
        int wanted = 0;
        for (SequenceStep s : steps) {
            s.kv().commit(s.kv().length(), s.tokens());
            if (s.wantLogits()) wanted++;
        }
        float[][] result = new float[steps.size()][];
        if (wanted == 0) return result;
        float[] last = new float[wanted * h];
        int[] which = new int[wanted];
        int k = 0, row = 0;
        for (int si = 0; si < steps.size(); si++) {
            row += steps.get(si).tokens().length;
            if (steps.get(si).wantLogits()) {
                System.arraycopy(x, (row - 1) * h, last, k * h, h);
                which[k++] = si;
            }
        }
        float[] normed = new float[wanted * h];
        rmsNorm(last, w.finalNorm(), normed, wanted, h, eps);
        int vocab = c.vocabSize();
        float[] logits = new float[wanted * vocab];
        w.lmHead().apply(normed, wanted, logits);
        for (int i = 0; i < wanted; i++) {
            float[] one = new float[vocab];
            System.arraycopy(logits, i * vocab, one, 0, vocab);
            result[which[i]] = one;
        }
        return result;
    }

    /**
     * Causal attention at position pos over positions [0, pos] of its sequence, for the query heads that
     * share one KV head (grouped-query attention): each cached K and V row is read once for the whole group.
     *
     * @param qBase   offset of this token's concatenated query heads in q
     * @param outBase offset of this token's (qDim) output row
     */
    private void attend(int layer, KvSequence seq, int pos, float[] q, int qBase, int kvHead, float[] out, int outBase) {
        int hd = c.headDim(), bt = kvLayout.blockTokens(), group = c.kvGroup();
        int firstHead = kvHead * group;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[][] scores = new float[group][pos + 1]; // (group, positions)
        for (int p = 0; p <= pos; p++) {
            float[] k = seq.block(p).k();
            int kOff = kvLayout.offset(layer, p % bt) + kvHead * hd;
            for (int g = 0; g < group; g++) {
                scores[g][p] = VectorKernels.dot(q, qBase + (firstHead + g) * hd, k, kOff, hd) * scale;
            }
        }
        for (int g = 0; g < group; g++) {
            float[] sc = scores[g];
            float max = Float.NEGATIVE_INFINITY;
            for (int p = 0; p <= pos; p++) max = Math.max(max, sc[p]);
            float sum = 0;
            for (int p = 0; p <= pos; p++) {
                sc[p] = (float) Math.exp(sc[p] - max);
                sum += sc[p];
            }
            float inv = 1f / sum;
            for (int p = 0; p <= pos; p++) sc[p] *= inv;
            java.util.Arrays.fill(out, outBase + (firstHead + g) * hd, outBase + (firstHead + g + 1) * hd, 0f);
        }
        for (int p = 0; p <= pos; p++) {
            float[] v = seq.block(p).v();
            int vOff = kvLayout.offset(layer, p % bt) + kvHead * hd;
            for (int g = 0; g < group; g++) {
                VectorKernels.axpy(scores[g][p], v, vOff, out, outBase + (firstHead + g) * hd, hd);
            }
        }
    }

    /** out[row] = x[row] / rms(x[row]) * weight, for rows [0, rows). */
    static void rmsNorm(float[] x, float[] weight, float[] out, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            int off = r * n;
            float ss = VectorKernels.dot(x, off, x, off, n) / n;
            float inv = (float) (1.0 / Math.sqrt(ss + eps));
            for (int i = 0; i < n; i++) out[off + i] = weight[i] * (x[off + i] * inv);
        }
    }

    private static float[] slice(float[] src, int off, int n, float[] dst) {
        System.arraycopy(src, off, dst, 0, n);
        return dst;
    }
}
