package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.attention.Attention;
import io.r1stream.engine.model.attention.TokenBatch;

/**
 * Grouped-query attention of one Qwen2 / Llama layer, as a piece an architecture assembles (the other kind is
 * DeepseekV3's latent attention): fused q/k/v projection (+bias for Qwen2), RoPE on q and k, K/V written to each
 * row's sequence at its position, causal attention over the cached K/V in query blocks ({@link TiledAttention}),
 * output projection. Buffers are shared by the layers of one model ({@link StepScratch}) and reused across steps.
 */
final class GroupedQueryAttention implements Attention {
    private final ModelConfig c;
    private final int layer;
    private final LayerWeights w;
    private final KvLayout kvLayout;
    private final TiledAttention attention;
    private final MatmulThreads threads;
    private final StepScratch scratch;

    GroupedQueryAttention(ModelConfig c, int layer, LayerWeights w, KvLayout kvLayout, TiledAttention attention,
                          MatmulThreads threads, StepScratch scratch) {
        this.c = c;
        this.layer = layer;
        this.w = w;
        this.kvLayout = kvLayout;
        this.attention = attention;
        this.threads = threads;
        this.scratch = scratch;
    }

    /** @param x (T, hidden) normed rows; @param out (T, hidden) attention output before the residual add */
    @Override
    public void forward(TokenBatch batch, float[] x, float[] out) {
        int T = batch.rows(), hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim(), qkvOut = qDim + 2 * kvDim;
        StepScratch s = scratch.prepare(batch, c);
        float[] qkv = s.qkv, att = s.att, cosTmp = s.cosTmp, sinTmp = s.sinTmp; // (T, qkvOut), (T, qDim)
        w.qkv().apply(x, T, qkv);
        float[] bias = w.qkvBias();
        for (int t = 0; t < T; t++) {
            int base = t * qkvOut;
            if (bias != null) for (int i = 0; i < qkvOut; i++) qkv[base + i] += bias[i];
            System.arraycopy(s.cos, t * hd / 2, cosTmp, 0, hd / 2);
            System.arraycopy(s.sin, t * hd / 2, sinTmp, 0, hd / 2);
            for (int head = 0; head < c.numHeads(); head++) s.rope.rotate(qkv, base + head * hd, cosTmp, sinTmp);
            for (int head = 0; head < c.numKvHeads(); head++) s.rope.rotate(qkv, base + qDim + head * hd, cosTmp, sinTmp);
            int pos = batch.position(t);
            KvBlock block = batch.kv(t).block(pos);
            int off = kvLayout.offset(layer, pos % kvLayout.blockTokens());
            System.arraycopy(qkv, base + qDim, block.k(), off, kvDim);
            System.arraycopy(qkv, base + qDim + kvDim, block.v(), off, kvDim);
        }
        int kvHeads = c.numKvHeads();
        int[] blockRow0 = s.blockRow0, blockLen = s.blockLen, blockOrder = s.blockOrder;
        threads.forRows(s.blocks * kvHeads, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                int b = blockOrder[i / kvHeads], kvHead = i % kvHeads, t0 = blockRow0[b];
                KvSequence seq = batch.kv(t0);
                attention.attend(layer, seq, batch.position(t0), blockLen[b], qkv, t0 * qkvOut, qkvOut, kvHead, att, t0 * qDim, qDim);
            }
        });
        w.o().apply(att, T, out);
    }

    @Override
    public long weightBytesPerToken() { return w.qkv().weightBytes() + w.o().weightBytes(); }
}
