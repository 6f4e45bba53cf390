package io.r1stream.engine.model;

import io.r1stream.engine.model.ffn.FeedForward;

/**
 * The SwiGLU MLP of one Qwen2 / Llama layer as an assembled piece: {@code down(silu(gate(x)) * up(x))}, gate and
 * up fused in one matrix so x is read once; work arrays from the model's {@link StepScratch} (no per-step
 * allocation, unlike {@code ffn.DenseMlp}, which DeepseekV3's dense layers use).
 */
final class GatedMlp implements FeedForward {
    private final LayerWeights w;
    private final StepScratch scratch;
    private final int inter;

    GatedMlp(LayerWeights w, StepScratch scratch) {
        this.w = w;
        this.scratch = scratch;
        this.inter = w.down().inFeatures();
    }

    /** @param x (rows, hidden) normed input, after {@link StepScratch#prepare} for this step */
    @Override
    public void forward(float[] x, int rows, float[] out) {
        float[] gateUp = scratch.gateUp, act = scratch.act;
        w.gateUp().apply(x, rows, gateUp);
        for (int t = 0; t < rows; t++) {
            int g = t * 2 * inter, u = g + inter, a = t * inter;
            for (int i = 0; i < inter; i++) {
                float gv = gateUp[g + i];
                act[a + i] = gv / (1f + (float) Math.exp(-gv)) * gateUp[u + i];
            }
        }
        w.down().apply(act, rows, out);
    }

    @Override
    public long weightBytesPerToken() { return w.gateUp().weightBytes() + w.down().weightBytes(); }
}
