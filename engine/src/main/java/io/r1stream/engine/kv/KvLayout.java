package io.r1stream.engine.kv;

/**
 * The shape of KV memory: blocks of {@code blockTokens} token slots, each holding K and V for every layer.
 * One block's K (or V) array is {@code (layers, blockTokens, kvDim)} float32.
 */
public record KvLayout(int layers, int kvDim, int blockTokens) {

    public KvLayout {
        if (layers < 1 || kvDim < 1 || blockTokens < 1) {
            throw new IllegalArgumentException("KvLayout needs positive sizes, got " + layers + "/" + kvDim + "/" + blockTokens);
        }
    }

    /** Floats in one block's K (or V) array. */
    public int floatsPerBlock() { return layers * blockTokens * kvDim; }

    /** Bytes one block occupies in engine memory (K + V, float32). */
    public long bytesPerBlock() { return 2L * 4 * floatsPerBlock(); }

    /** Offset of (layer, slot) inside a block's K or V array. */
    public int offset(int layer, int slot) { return (layer * blockTokens + slot) * kvDim; }

    public int blocksFor(int tokens) { return (tokens + blockTokens - 1) / blockTokens; }
}
