package io.r1stream.engine.model.arch;

import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.model.Bf16Linear;
import io.r1stream.engine.model.F32Linear;
import io.r1stream.engine.model.ForwardPass;
import io.r1stream.engine.model.Linear;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.attention.TokenBatch;

import java.util.List;

/**
 * A decoder-only forward pass put together from pieces: token embedding, pre-norm {@link DecoderLayer}s (each an
 * {@code Attention} and a {@code FeedForward}), final RMSNorm and lm_head. All new tokens of all sequences in a step
 * are one matrix of T rows, so each weight is read once per step (continuous batching). Not thread-safe: the
 * engine loop drives it; matmuls fan out over {@link MatmulThreads}.
 *
 * @param embedding (vocab, hidden), a {@link Bf16Linear} or {@link F32Linear} (rows are looked up)
 * @param finalNorm (hidden) model.norm
 * @param lmHead    (vocab, hidden)
 */
public record AssembledDecoder(ModelConfig config, KvLayout kvLayout, WeightFormat format, Linear embedding,
                               List<DecoderLayer> layers, float[] finalNorm, Linear lmHead,
                               MatmulThreads threads) implements ForwardPass {

    @Override public String device() { return "cpu"; }

    /** Bytes of weights one decoded token reads (attention, the feed-forward it uses, lm_head). */
    public long bytesReadPerToken() {
        long n = lmHead.weightBytes();
        for (DecoderLayer l : layers) n += l.attention().weightBytesPerToken() + l.feedForward().weightBytesPerToken();
        return n;
    }

    @Override
    public float[][] forward(List<SequenceStep> steps) {
        int h = config.hiddenSize();
        TokenBatch batch = new TokenBatch(steps);
        int T = batch.rows();
        float[] x = new float[T * h]; // (T, hidden) residual stream
        for (int r = 0; r < T; r++) embed(batch.token(r), x, r * h);
        float[] xb = new float[T * h], y = new float[T * h];
        float eps = (float) config.rmsNormEps();
        for (DecoderLayer layer : layers) {
            RmsNorm.apply(x, layer.inputNorm(), xb, T, h, eps);
            layer.attention().forward(batch, xb, y);
            for (int i = 0; i < T * h; i++) x[i] += y[i];
            RmsNorm.apply(x, layer.postAttentionNorm(), xb, T, h, eps);
            layer.feedForward().forward(xb, T, y);
            for (int i = 0; i < T * h; i++) x[i] += y[i];
        }
        for (SequenceStep s : steps) s.kv().commit(s.kv().length(), s.tokens());

        // Only rows that need logits go through the final norm and lm_head.
        float[][] result = new float[steps.size()][];
        int wanted = 0;
        for (SequenceStep s : steps) if (s.wantLogits()) wanted++;
        if (wanted == 0) return result;
        float[] last = new float[wanted * h];
        int[] which = new int[wanted];
        int k = 0;
        for (int si = 0; si < steps.size(); si++) {
            if (!steps.get(si).wantLogits()) continue;
            int row = batch.firstRow(si) + batch.rowsOf(si) - 1;
            System.arraycopy(x, row * h, last, k * h, h);
            which[k++] = si;
        }
        float[] normed = new float[wanted * h];
        RmsNorm.apply(last, finalNorm, normed, wanted, h, eps);
        int vocab = config.vocabSize();
        float[] logits = new float[wanted * vocab];
        lmHead.apply(normed, wanted, logits);
        for (int i = 0; i < wanted; i++) {
            float[] one = new float[vocab];
            System.arraycopy(logits, i * vocab, one, 0, vocab);
            result[which[i]] = one;
        }
        return result;
    }

    private void embed(int token, float[] dst, int off) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        if (embedding instanceof Bf16Linear b) b.row(token, dst, off);
        else ((F32Linear) embedding).row(token, dst, off);
    }
}
