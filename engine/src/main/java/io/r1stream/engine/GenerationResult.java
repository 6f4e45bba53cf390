package io.r1stream.engine;

import io.r1stream.engine.sample.FinishReason;

import io.r1stream.engine.kv.KvChunk;

import java.io.Serializable;
import java.util.List;

/**
 * A finished generation.
 *
 * @param text         detokenized output, cut before a stop string, EOS not included
 * @param cachedTokens prompt tokens whose KV was reused instead of computed
 * @param kvSource     the tier the reused prefix came from
 * @param error        null unless finishReason is ERROR
 * @param kvChunks     the retained KV from the request's {@code exportKvFrom} on, as chunks (empty unless asked)
 */
public record GenerationResult(String requestId, int[] outputTokens, String text, FinishReason finishReason,
                               int promptTokens, int cachedTokens, KvSource kvSource, RequestTiming timing,
                               String error, List<KvChunk> kvChunks) implements Serializable {

    public GenerationResult {
        kvChunks = kvChunks == null ? List.of() : List.copyOf(kvChunks);
    }

    public GenerationResult(String requestId, int[] outputTokens, String text, FinishReason finishReason,
                            int promptTokens, int cachedTokens, KvSource kvSource, RequestTiming timing, String error) {
        this(requestId, outputTokens, text, finishReason, promptTokens, cachedTokens, kvSource, timing, error, List.of());
    }

    /** A request that ended before generating anything, with the reason. */
    public static GenerationResult error(String requestId, int promptTokens, String error) {
        return new GenerationResult(requestId, new int[0], "", FinishReason.ERROR, promptTokens, 0, KvSource.NONE,
                new RequestTiming(0, 0, 0, 0), error);
    }

    public int completionTokens() { return outputTokens.length; }

    /** Generated tokens per second over the decode phase (first token excluded). */
    public double decodeTokensPerSecond() {
        double ms = timing.e2eMs() - timing.ttftMs();
        return outputTokens.length > 1 && ms > 0 ? (outputTokens.length - 1) * 1000.0 / ms : 0;
    }
}
