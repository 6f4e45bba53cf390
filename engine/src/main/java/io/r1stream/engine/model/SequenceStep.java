package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvSequence;

/**
 * One sequence's share of a forward step: {@code tokens} at positions {@code kv.length() ..}, appended to its
 * KV cache. {@code wantLogits}: compute next-token logits after the last of these tokens (false for a
 * prefill chunk that is not the prompt's last).
 */
public record SequenceStep(KvSequence kv, int[] tokens, boolean wantLogits) {}
