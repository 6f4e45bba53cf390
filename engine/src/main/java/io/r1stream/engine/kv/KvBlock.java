package io.r1stream.engine.kv;

/**
 * One block of engine-tier KV memory: K and V of {@code blockTokens} consecutive positions for all layers.
 * {@code id} is stable for the pool's lifetime (tests assert exact ids, as vLLM's block-pool tests do).
 */
public final class KvBlock {
    final int id;
    final float[] k; // (layers, blockTokens, kvDim)
    final float[] v; // (layers, blockTokens, vDim); empty when the layout caches no V (MLA)

    public KvBlock(int id, KvLayout layout) {
        this.id = id;
        this.k = new float[layout.floatsPerBlock()];
        this.v = new float[layout.vFloatsPerBlock()];
    }

    public int id() { return id; }
    public float[] k() { return k; }
    public float[] v() { return v; }
}
