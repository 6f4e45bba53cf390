package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvLayout;

import java.util.List;

/**
 * One batched forward step over several sequences, as the batching engine drives it: each sequence's new tokens
 * are appended to its KV blocks and next-token logits come back for those that ask. Implemented on CPU by
 * {@link Transformer} (Java Vector API) and on a GPU by {@code djl.DjlBatchedForward} (DJL PyTorch).
 */
public interface ForwardPass {
    ModelConfig config();

    KvLayout kvLayout();

    /** @return logits (vocab floats) per step, null where {@code wantLogits} was false */
    float[][] forward(List<SequenceStep> steps);

    /** Where the arithmetic runs, for logs and benchmark lines ("cpu", "gpu(0)"). */
    String device();
}
