package io.r1stream.engine.model.ffn;

/**
 * One decoder layer's feed-forward block, the seam an architecture assembles a forward pass from: a dense
 * SwiGLU MLP or a mixture of experts. Rows are independent tokens.
 */
public interface FeedForward {
    /**
     * @param x   (rows, hidden) normed input
     * @param out (rows, hidden) output (before the residual add)
     */
    void forward(float[] x, int rows, float[] out);

    /** Bytes of weights one token reads here (for a mixture: the chosen and shared experts and the router). */
    long weightBytesPerToken();
}
