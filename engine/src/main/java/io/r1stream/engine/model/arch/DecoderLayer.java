package io.r1stream.engine.model.arch;

import io.r1stream.engine.model.attention.Attention;
import io.r1stream.engine.model.ffn.FeedForward;

/**
 * One pre-norm decoder layer as an architecture assembles it:
 * {@code x += attention(norm1(x)); x += feedForward(norm2(x))}.
 *
 * @param inputNorm         (hidden) input_layernorm
 * @param postAttentionNorm (hidden) post_attention_layernorm
 */
public record DecoderLayer(float[] inputNorm, Attention attention, float[] postAttentionNorm, FeedForward feedForward) {}
