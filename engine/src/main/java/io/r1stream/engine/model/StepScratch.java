package io.r1stream.engine.model;

import io.r1stream.engine.model.attention.TokenBatch;

/**
 * Per-step work arrays of a Qwen2 / Llama forward pass, shared by its layers' pieces and reused across steps
 * (grown to the largest step seen, never shrunk), so a decode step allocates only its logits: RoPE angles per
 * row (computed once per step, not per layer), attention query blocks, q/k/v, attention output and MLP
 * activations. Array lengths may exceed what a step uses; every used element is written before it is read.
 */
final class StepScratch {
    final Rope rope;
    private TokenBatch batch; // the step the angles and blocks were computed for
    private int capacity = -1;
    int blocks;
    int[] blockRow0, blockLen, blockOrder;
    float[] cos, sin, cosTmp, sinTmp; // (T, headDim/2), (headDim/2)
    float[] qkv, att, gateUp, act;    // (T, q+2kv), (T, qDim), (T, 2 inter), (T, inter)

    StepScratch(ModelConfig c) { this.rope = new Rope(c); }

    /** Sizes the arrays for this step and, once per step, its RoPE angles and attention blocks. */
    StepScratch prepare(TokenBatch step, ModelConfig c) {
        if (step == batch) return this;
        int t = step.rows(), hd = c.headDim(), inter = c.intermediateSize();
        if (t > capacity) {
            blockRow0 = new int[t];
            blockLen = new int[t];
            blockOrder = new int[t];
            cos = new float[t * hd / 2];
            sin = new float[t * hd / 2];
            cosTmp = new float[hd / 2];
            sinTmp = new float[hd / 2];
            qkv = new float[t * (c.qDim() + 2 * c.kvDim())];
            att = new float[t * c.qDim()];
            gateUp = new float[t * 2 * inter];
            act = new float[t * inter];
            capacity = t;
        }
        for (int r = 0; r < t; r++) {
            rope.angles(step.position(r), cosTmp, sinTmp);
            System.arraycopy(cosTmp, 0, cos, r * hd / 2, hd / 2);
            System.arraycopy(sinTmp, 0, sin, r * hd / 2, hd / 2);
        }
        // attention work items: blocks of up to QUERY_BLOCK consecutive rows of one sequence, ordered first, last,
        // second, second-to-last, ... so the threads' contiguous slices cost about the same
        int n = 0;
        for (int si = 0; si < step.steps().size(); si++) {
            int rows = step.rowsOf(si), row0 = step.firstRow(si);
            for (int j = 0; j < rows; j += TiledAttention.QUERY_BLOCK, n++) {
                blockRow0[n] = row0 + j;
                blockLen[n] = Math.min(TiledAttention.QUERY_BLOCK, rows - j);
            }
        }
        for (int i = 0, lo = 0, hi = n - 1; i < n; i++) blockOrder[i] = (i % 2 == 0) ? lo++ : hi--;
        blocks = n;
        batch = step;
        return this;
    }
}
