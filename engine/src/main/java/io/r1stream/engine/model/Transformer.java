package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;

import io.r1stream.engine.model.arch.DecoderLayer;
import io.r1stream.engine.model.attention.TokenBatch;

import java.util.ArrayList;
import java.util.List;

/**
 * The Qwen2 / Llama decoder forward pass on CPU, in llama2.c order, over a batch of sequences at once.
 * All new tokens of all sequences in a step form one matrix of rows (T = total new tokens), so every weight
 * matrix is read once per step however many sequences decode (continuous batching); attention runs over
 * each sequence's own cached K/V, blocks of its new tokens at a time ({@link TiledAttention}).
 *
 * <p>Assembled from pieces, as every architecture is: per layer a {@link GroupedQueryAttention} and a
 * {@link GatedMlp} ({@link DecoderLayer}: the seams DeepseekV3 fills with latent attention and a mixture of
 * experts), with work arrays shared through one {@link StepScratch}.
 *
 * <p>Not thread-safe: one engine loop drives it. Matmuls and attention fan out over {@link MatmulThreads}.
 */
public final class Transformer implements ForwardPass {
    private final ModelConfig c;
    private final ModelWeights w;
    private final MatmulThreads threads;
    private final KvLayout kvLayout;
    private final List<DecoderLayer> layers;
    private float[] x, xb, proj; // (T, hidden): residual stream, normed input, a piece's output
    private int rows = -1;

    public Transformer(ModelWeights weights, MatmulThreads threads, int kvBlockTokens) {
        this.c = weights.config();
        this.w = weights;
        this.threads = threads;
        this.kvLayout = new KvLayout(c.numLayers(), c.kvDim(), kvBlockTokens);
        TiledAttention attention = new TiledAttention(c, kvLayout);
        StepScratch scratch = new StepScratch(c);
        List<DecoderLayer> ls = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = weights.layers().get(l);
            ls.add(new DecoderLayer(lw.attnNorm(), new GroupedQueryAttention(c, l, lw, kvLayout, attention, threads, scratch),
                    lw.mlpNorm(), new GatedMlp(lw, scratch, threads)));
        }
        this.layers = List.copyOf(ls);
    }

    @Override public ModelConfig config() { return c; }
    @Override public String device() { return "cpu"; }
    public ModelWeights weights() { return w; }
    @Override public KvLayout kvLayout() { return kvLayout; }
    public MatmulThreads threads() { return threads; }
    /** The assembled layers (grouped-query attention + gated MLP each). */
    public List<DecoderLayer> layers() { return layers; }

    /**
     * Runs one step. Each sequence's KV must already have room reserved for its new tokens
     * ({@link KvSequence#reserve}); on return the new positions are committed.
     *
     * @return logits (vocab floats) per step in order; null entries where {@code wantLogits} was false
     */
    @Override
    public float[][] forward(List<SequenceStep> steps) {
        int h = c.hiddenSize();
        TokenBatch batch = new TokenBatch(steps);
        int T = batch.rows();
        if (T > rows) {
            x = new float[T * h];
            xb = new float[T * h];
            proj = new float[T * h];
            rows = T;
        }
        for (int r = 0; r < T; r++) w.embed(batch.token(r), x, r * h);
        float eps = (float) c.rmsNormEps();
        float[] pending = null; // the last piece's output, added into the residual with the next norm
        for (DecoderLayer layer : layers) {
            // ---- attention: residual, RMSNorm, q/k/v (+bias), RoPE, write K/V, attend, project
            addAndNorm(x, pending, layer.inputNorm(), xb, T, h, eps);
            layer.attention().forward(batch, xb, proj);
            // ---- MLP: residual, RMSNorm, SiLU(gate) * up, down
            addAndNorm(x, proj, layer.postAttentionNorm(), xb, T, h, eps);
            layer.feedForward().forward(xb, T, proj);
            pending = proj;
        }
        if (pending != null) addAndNorm(x, pending, null, null, T, h, eps);

        // Commit the new positions, then project only the rows that need logits.
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

    /**
     * x[row] += add[row] (add null: nothing), then out[row] = x[row] / rms(x[row]) * weight (weight null: no norm),
     * for rows [0, rows), split across the threads: run by the calling thread alone, the residual adds and norms
     * were serial work in every layer of a prefill.
     */
    private void addAndNorm(float[] x, float[] add, float[] weight, float[] out, int rows, int n, float eps) {
        threads.forRows(rows, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * n;
                if (add != null) for (int i = off; i < off + n; i++) x[i] += add[i];
                if (weight != null) normRow(x, weight, out, off, n, eps);
            }
        });
    }

    /** out[row] = x[row] / rms(x[row]) * weight, for rows [0, rows). */
    static void rmsNorm(float[] x, float[] weight, float[] out, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) normRow(x, weight, out, r * n, n, eps);
    }

    private static void normRow(float[] x, float[] weight, float[] out, int off, int n, float eps) {
        float ss = VectorKernels.dot(x, off, x, off, n) / n;
        float inv = (float) (1.0 / Math.sqrt(ss + eps));
        for (int i = 0; i < n; i++) out[off + i] = weight[i] * (x[off + i] * inv);
    }
}
