package io.r1stream.engine.model;

/**
 * One decoder layer. q/k/v are fused into one matrix (rows: q then k then v) and gate/up into another
 * (rows: gate then up), so each is one pass over the activations.
 *
 * @param attnNorm  (hidden) input_layernorm
 * @param qkv       (qDim + 2 kvDim, hidden)
 * @param qkvBias   (qDim + 2 kvDim) or null (Llama)
 * @param o         (hidden, qDim)
 * @param mlpNorm   (hidden) post_attention_layernorm
 * @param gateUp    (2 intermediate, hidden)
 * @param down      (hidden, intermediate)
 */
public record LayerWeights(float[] attnNorm, Linear qkv, float[] qkvBias, Linear o, float[] mlpNorm, Linear gateUp, Linear down) {}
