package io.r1stream.engine.model.attention;

import io.r1stream.engine.model.Linear;

/**
 * One layer's multi-head latent attention weights (H heads; R = kv_lora_rank; dn, dr, dv = qk_nope, qk_rope, v
 * head dims), plus per-head slices of kv_b_proj laid out for the absorbed decode.
 *
 * @param qA      (q_lora_rank, hidden) q_a_proj, or null without q-LoRA
 * @param qANorm  (q_lora_rank) q_a_layernorm, or null
 * @param q       (H (dn + dr), q_lora_rank or hidden) q_b_proj, or q_proj without q-LoRA
 * @param kvA     (R + dr, hidden) kv_a_proj_with_mqa: the latent, then the shared rope key
 * @param kvANorm (R) kv_a_layernorm
 * @param kvB     (H (dn + dv), R) kv_b_proj: per head, dn key rows then dv value rows (expanded prefill)
 * @param keyUp   per head (R, dn): that head's key rows of kv_b_proj, transposed, to fold into the query
 * @param valueUp per head (dv, R): that head's value rows of kv_b_proj, applied after attention
 * @param o       (hidden, H dv) o_proj
 */
public record MlaWeights(Linear qA, float[] qANorm, Linear q, Linear kvA, float[] kvANorm, Linear kvB,
                         Linear[] keyUp, Linear[] valueUp, Linear o) {}
