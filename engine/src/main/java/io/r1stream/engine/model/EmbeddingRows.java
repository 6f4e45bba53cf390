package io.r1stream.engine.model;

/** A matrix whose rows can be read one at a time as float32: the token embedding lookup, in any weight format. */
public interface EmbeddingRows {
    /** Writes row {@code r} (inFeatures floats, input order) into dst at dstOff. */
    void row(int r, float[] dst, int dstOff);
}
