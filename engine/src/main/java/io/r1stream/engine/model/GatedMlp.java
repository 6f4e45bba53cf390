package io.r1stream.engine.model;

import io.r1stream.engine.model.ffn.FeedForward;
import jdk.incubator.vector.FloatVector;

/**
 * The SwiGLU MLP of one Qwen2 / Llama layer as an assembled piece: {@code down(silu(gate(x)) * up(x))}, gate and
 * up fused in one matrix so x is read once; work arrays from the model's {@link StepScratch} (no per-step
 * allocation, unlike {@code ffn.DenseMlp}, which DeepseekV3's dense layers use).
 */
final class GatedMlp implements FeedForward {
    private final LayerWeights w;
    private final StepScratch scratch;
    private final int inter;
    private final MatmulThreads threads;

    GatedMlp(LayerWeights w, StepScratch scratch, MatmulThreads threads) {
        this.w = w;
        this.scratch = scratch;
        this.threads = threads;
        this.inter = w.down().inFeatures();
    }

    /** @param x (rows, hidden) normed input, after {@link StepScratch#prepare} for this step */
    @Override
    public void forward(float[] x, int rows, float[] out) {
        float[] gateUp = scratch.gateUp, act = scratch.act;
        w.gateUp().apply(x, rows, gateUp);
        threads.forRows(rows, 1, (from, to) -> { // rows split across the threads (a prefill's rows; decode runs inline)
            for (int t = from; t < to; t++) swiglu(gateUp, t * 2 * inter, act, t * inter, inter);
        });
        w.down().apply(act, rows, out);
    }

    /**
     * act[a, a + n) = silu(gate) * up, gate at gu[g, g + n) and up right after it. Vectorized with {@link VectorExp}
     * (a scalar {@code Math.exp} per element was 9% of a 128-token prefill, run by the calling thread alone while
     * the matmul workers waited); its own small method so C2 inlines the vector calls. Past the last whole vector,
     * scalar.
     */
    static void swiglu(float[] gu, int g, float[] act, int a, int n) {
        int u = g + n, i = 0;
        for (; i + VectorKernels.F.length() <= n; i += VectorKernels.F.length()) {
            FloatVector gv = FloatVector.fromArray(VectorKernels.F, gu, g + i);
            FloatVector e = VectorExp.exp(gv.neg());
            gv.div(e.add(1f)).mul(FloatVector.fromArray(VectorKernels.F, gu, u + i)).intoArray(act, a + i);
        }
        for (; i < n; i++) {
            float gv = gu[g + i];
            act[a + i] = gv / (1f + (float) Math.exp(-gv)) * gu[u + i];
        }
    }

    @Override
    public long weightBytesPerToken() { return w.gateUp().weightBytes() + w.down().weightBytes(); }
}
