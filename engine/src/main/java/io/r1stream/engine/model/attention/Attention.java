package io.r1stream.engine.model.attention;

/**
 * One decoder layer's attention, the seam an architecture assembles a forward pass from (multi-head latent
 * attention here; grouped-query attention is the same shape). It reads the normed residual rows, writes this
 * layer's KV for the new positions into each row's sequence (already reserved), attends causally over each
 * sequence's cache and returns the projected output.
 */
public interface Attention {
    /**
     * @param x   (T, hidden) normed input rows of the batch
     * @param out (T, hidden) the attention block's output (before the residual add)
     */
    void forward(TokenBatch batch, float[] x, float[] out);

    /** Bytes of weights one decoded token reads in this layer's attention. */
    long weightBytesPerToken();
}
