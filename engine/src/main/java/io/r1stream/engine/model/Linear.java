package io.r1stream.engine.model;

/**
 * A weight matrix {@code W (out, in)} applied to a batch of rows: {@code y (batch, out) = x (batch, in) * W^T}.
 * The one seam between the forward pass and the matmul kernel, so a faster kernel (or a GPU one) can replace
 * another where measurements say so.
 */
public interface Linear {
    int inFeatures();

    int outFeatures();

    /** y[b*out + o] = sum_i x[b*in + i] * W[o, i], for b in [0, batch). */
    void apply(float[] x, int batch, float[] y);

    /** Bytes of weights this matrix reads per application (for bandwidth accounting). */
    long weightBytes();
}
