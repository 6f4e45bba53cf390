package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;

import java.util.List;

/**
 * The Qwen2 / Llama decoder forward pass on CPU, in llama2.c order, over a batch of sequences at once.
 * All new tokens of all sequences in a step form one matrix of rows (T = total new tokens), so every weight
 * matrix is read once per step however many sequences decode (continuous batching); attention runs over
 * each sequence's own cached K/V, blocks of its new tokens at a time ({@link TiledAttention}).
 *
 * <p>Not thread-safe: one engine loop drives it. Matmuls and attention fan out over {@link MatmulThreads}.
 */
public final class Transformer implements ForwardPass {
    private final ModelConfig c;
    private final ModelWeights w;
    private final MatmulThreads threads;
    private final Rope rope;
    private final KvLayout kvLayout;
    private final TiledAttention attention;
    private final StepBuffers buffers = new StepBuffers();

    public Transformer(ModelWeights weights, MatmulThreads threads, int kvBlockTokens) {
        this.c = weights.config();
        this.w = weights;
        this.threads = threads;
        this.rope = new Rope(c);
        this.kvLayout = new KvLayout(c.numLayers(), c.kvDim(), kvBlockTokens);
        this.attention = new TiledAttention(c, kvLayout);
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
        StepBuffers buf = buffers.forRows(T, c);
        int[] rowStep = buf.rowStep;
        int[] rowPos = buf.rowPos;
        float[] cos = buf.cos, sin = buf.sin; // (T, headDim/2)
        float[] x = buf.x;                    // (T, hidden) residual stream
        int r = 0;
        float[] cosTmp = buf.cosTmp, sinTmp = buf.sinTmp;
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

        // Attention work items: blocks of up to QUERY_BLOCK consecutive rows of one sequence, ordered
        // first, last, second, second-to-last, ... so the threads' contiguous slices cost about the same
        // (a later block of a prefill attends to more positions).
        int[] blockRow0 = buf.blockRow0, blockLen = buf.blockLen;
        int nBlocks = 0;
        for (int si = 0, row0 = 0; si < steps.size(); si++) {
            int n = steps.get(si).tokens().length;
            for (int j = 0; j < n; j += TiledAttention.QUERY_BLOCK, nBlocks++) {
                blockRow0[nBlocks] = row0 + j;
                blockLen[nBlocks] = Math.min(TiledAttention.QUERY_BLOCK, n - j);
            }
            row0 += n;
        }
        int[] blockOrder = buf.blockOrder;
        for (int i = 0, lo = 0, hi = nBlocks - 1; i < nBlocks; i++) blockOrder[i] = (i % 2 == 0) ? lo++ : hi--;
        final int blocks = nBlocks;

        float[] xb = buf.xb;         // (T, hidden) normed input
        float[] qkv = buf.qkv;       // (T, qDim + 2 kvDim)
        float[] att = buf.att;       // (T, qDim) attention output
        float[] proj = buf.proj;     // (T, hidden)
        float[] gateUp = buf.gateUp; // (T, 2 intermediate)
        float[] act = buf.act;       // (T, intermediate)
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
            threads.forRows(blocks * c.numKvHeads(), 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int b = blockOrder[i / c.numKvHeads()], kvHead = i % c.numKvHeads(), t0 = blockRow0[b];
                    attention.attend(layer, steps.get(rowStep[t0]).kv(), rowPos[t0], blockLen[b], qkv, t0 * qkvOut, qkvOut,
                            kvHead, att, t0 * qDim, qDim);
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
        if (wanted == 1) { // the common decode case: the logits array is the result
            result[which[0]] = logits;
            return result;
        }
        for (int i = 0; i < wanted; i++) {
            float[] one = new float[vocab];
            System.arraycopy(logits, i * vocab, one, 0, vocab);
            result[which[i]] = one;
        }
        return result;
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

    /**
     * Activation buffers reused across steps (grown to the largest step seen, never shrunk), so a decode step
     * allocates only its logits. Array lengths may exceed what a step uses; every used element is written
     * before it is read.
     */
    private static final class StepBuffers {
        int rows = -1;
        int[] rowStep, rowPos, blockRow0, blockLen, blockOrder;
        float[] cos, sin, cosTmp, sinTmp, x, xb, qkv, att, proj, gateUp, act;

        StepBuffers forRows(int t, ModelConfig c) {
            if (t <= rows) return this;
            int hd = c.headDim(), h = c.hiddenSize(), inter = c.intermediateSize(), qkvOut = c.qDim() + 2 * c.kvDim();
            rowStep = new int[t];
            rowPos = new int[t];
            blockRow0 = new int[t];
            blockLen = new int[t];
            blockOrder = new int[t];
            cos = new float[t * hd / 2];
            sin = new float[t * hd / 2];
            cosTmp = new float[hd / 2];
            sinTmp = new float[hd / 2];
            x = new float[t * h];
            xb = new float[t * h];
            qkv = new float[t * qkvOut];
            att = new float[t * c.qDim()];
            proj = new float[t * h];
            gateUp = new float[t * 2 * inter];
            act = new float[t * inter];
            rows = t;
            return this;
        }
    }
}
