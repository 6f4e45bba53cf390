package io.r1stream.engine.model.ffn;

import io.r1stream.engine.model.Linear;

/**
 * The SwiGLU MLP: {@code down(silu(gate(x)) * up(x))}, gate and up stacked in one matrix so x is read once.
 *
 * @param gateUp (2 intermediate, hidden): gate_proj rows then up_proj rows
 * @param down   (hidden, intermediate)
 */
public record DenseMlp(Linear gateUp, Linear down) implements FeedForward {

    public int intermediate() { return down.inFeatures(); }

    @Override
    public void forward(float[] x, int rows, float[] out) {
        int inter = intermediate();
        float[] gu = new float[rows * 2 * inter]; // (rows, 2 intermediate)
        gateUp.apply(x, rows, gu);
        float[] act = new float[rows * inter];    // (rows, intermediate)
        for (int t = 0; t < rows; t++) {
            int g = t * 2 * inter, u = g + inter, a = t * inter;
            for (int i = 0; i < inter; i++) {
                float gv = gu[g + i];
                act[a + i] = gv / (1f + (float) Math.exp(-gv)) * gu[u + i];
            }
        }
        down.apply(act, rows, out);
    }

    @Override
    public long weightBytesPerToken() { return gateUp.weightBytes() + down.weightBytes(); }
}
