package io.r1stream.engine.kv;

/**
 * The shape of KV memory: blocks of {@code blockTokens} token slots, each holding a K row and a V row for every
 * layer. One block's K array is {@code (layers, blockTokens, kvDim)} float32 and its V array
 * {@code (layers, blockTokens, vDim)}. Grouped-query attention caches K and V of the same width
 * ({@code vDim == kvDim}); multi-head latent attention (DeepSeek-V3) caches one row per token and layer, the
 * normalized latent followed by the shared rope key ({@code kvDim = kv_lora_rank + qk_rope_head_dim}), and no V
 * ({@code vDim == 0}).
 *
 * @param kvDim width of one K row (all KV heads of one token, or MLA's latent + rope key)
 * @param vDim  width of one V row; 0 when the cache holds no V
 */
public record KvLayout(int layers, int kvDim, int blockTokens, int vDim) {

    public KvLayout {
        if (layers < 1 || kvDim < 1 || blockTokens < 1 || vDim < 0) {
            throw new IllegalArgumentException("KvLayout needs positive sizes, got " + layers + "/" + kvDim + "/" + blockTokens + "/" + vDim);
        }
    }

    /** K and V rows of the same width (grouped-query attention). */
    public KvLayout(int layers, int kvDim, int blockTokens) { this(layers, kvDim, blockTokens, kvDim); }

    /** Floats in one block's K array. */
    public int floatsPerBlock() { return layers * blockTokens * kvDim; }

    /** Floats in one block's V array (0 without V). */
    public int vFloatsPerBlock() { return layers * blockTokens * vDim; }

    /** Bytes one block occupies in engine memory (K + V, float32). */
    public long bytesPerBlock() { return 4L * floatsPerBlock() + 4L * vFloatsPerBlock(); }

    /** Values cached per token over all layers (K + V), the figure KV bytes per token are computed from. */
    public long valuesPerToken() { return (long) layers * (kvDim + vDim); }

    /** Offset of (layer, slot) inside a block's K array (and its V array when {@code vDim == kvDim}). */
    public int offset(int layer, int slot) { return (layer * blockTokens + slot) * kvDim; }

    /** Offset of (layer, slot) inside a block's V array. */
    public int vOffset(int layer, int slot) { return (layer * blockTokens + slot) * vDim; }

    public int blocksFor(int tokens) { return (tokens + blockTokens - 1) / blockTokens; }
}
