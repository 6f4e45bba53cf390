package io.r1stream.engine;

import io.r1stream.engine.sample.SamplingParams;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * One generation: the full prompt's token ids (the whole rendered conversation for a chat turn) and how to
 * sample. With a {@code conversationId}, the engine keeps the sequence's KV after it finishes and reuses the
 * longest exactly matching prefix for the conversation's next request.
 *
 * @param conversationId null for one-off completions (KV freed when done)
 */
public record GenerationRequest(String requestId, String conversationId, int[] promptTokens, SamplingParams sampling)
        implements Serializable {

    public GenerationRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(sampling, "sampling");
        if (promptTokens == null || promptTokens.length == 0) {
            throw new IllegalArgumentException("request " + requestId + ": the prompt has no tokens");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRequest r && requestId.equals(r.requestId) && Objects.equals(conversationId, r.conversationId)
                && Arrays.equals(promptTokens, r.promptTokens) && sampling.equals(r.sampling);
    }

    @Override
    public int hashCode() { return Objects.hash(requestId, conversationId, Arrays.hashCode(promptTokens), sampling); }

    @Override
    public String toString() {
        return "GenerationRequest[" + requestId + ", conversation=" + conversationId + ", promptTokens=" + promptTokens.length + "]";
    }
}
