package io.r1stream.engine;

import io.r1stream.engine.sample.FinishReason;

import java.io.Serializable;

/**
 * A finished generation.
 *
 * @param text         detokenized output, cut before a stop string, EOS not included
 * @param cachedTokens prompt tokens whose KV was reused instead of computed
 * @param kvSource     the tier the reused prefix came from
 * @param error        null unless finishReason is ERROR
 */
public record GenerationResult(String requestId, int[] outputTokens, String text, FinishReason finishReason,
                               int promptTokens, int cachedTokens, KvSource kvSource, RequestTiming timing,
                               String error) implements Serializable {

    public int completionTokens() { return outputTokens.length; }

    /** Generated tokens per second over the decode phase (first token excluded). */
    public double decodeTokensPerSecond() {
        double ms = timing.e2eMs() - timing.ttftMs();
        return outputTokens.length > 1 && ms > 0 ? (outputTokens.length - 1) * 1000.0 / ms : 0;
    }
}
