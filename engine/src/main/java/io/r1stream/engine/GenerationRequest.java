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
 * @param retainTokens   how many leading positions of the finished sequence are worth keeping for the
 *                       conversation's next turn ({@link #RETAIN_ALL} keeps prompt and output). The chat
 *                       template decides: R1 drops an answer's reasoning from the history, so KV past the
 *                       generation prompt's role marker can never be reused and is freed at once.
 * @param exportKvFrom   {@link #NO_EXPORT}, or the position from which the finished turn's retained KV is
 *                       returned as chunks in {@link GenerationResult#kvChunks()} (positions below it are
 *                       already in the caller's store): the Flink state tier appends only what changed,
 *                       without a second round trip to the engine thread
 */
public record GenerationRequest(String requestId, String conversationId, int[] promptTokens, SamplingParams sampling,
                                int retainTokens, int exportKvFrom)
        implements Serializable {

    public static final int RETAIN_ALL = -1;
    public static final int NO_EXPORT = -1;

    public GenerationRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(sampling, "sampling");
        if (promptTokens == null || promptTokens.length == 0) {
            throw new IllegalArgumentException("request " + requestId + ": the prompt has no tokens");
        }
        if (retainTokens < RETAIN_ALL) throw new IllegalArgumentException("retainTokens must be >= -1, got " + retainTokens);
        if (exportKvFrom < NO_EXPORT) throw new IllegalArgumentException("exportKvFrom must be >= -1, got " + exportKvFrom);
    }

    /** Keeps everything, exports nothing: one-off generations and tools. */
    public GenerationRequest(String requestId, String conversationId, int[] promptTokens, SamplingParams sampling) {
        this(requestId, conversationId, promptTokens, sampling, RETAIN_ALL, NO_EXPORT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRequest r && requestId.equals(r.requestId) && Objects.equals(conversationId, r.conversationId)
                && Arrays.equals(promptTokens, r.promptTokens) && sampling.equals(r.sampling)
                && retainTokens == r.retainTokens && exportKvFrom == r.exportKvFrom;
    }

    @Override
    public int hashCode() { return Objects.hash(requestId, conversationId, Arrays.hashCode(promptTokens), sampling); }

    @Override
    public String toString() {
        return "GenerationRequest[" + requestId + ", conversation=" + conversationId + ", promptTokens=" + promptTokens.length + "]";
    }
}
