package io.r1stream.operators.summarize;

import io.r1stream.engine.sample.SamplingParams;

import java.io.Serializable;
import java.util.List;

/**
 * How documents are chunked and summarized.
 *
 * @param maxChunkTokens     text tokens per map chunk, and per group of summaries combined in one reduce call
 * @param overlapTokens      tokens of trailing sentences repeated at the start of the next chunk (at most
 *                           half of {@code maxChunkTokens})
 * @param maxSummaryTokens   generated tokens per summary (map and reduce), answer only
 * @param thinking           false: the prompt ends in an empty {@code <think></think>} block, so the model answers
 *                           at once; true: the model reasons first (up to {@code maxReasoningTokens} more tokens)
 *                           and the reasoning is cut from the summary
 * @param maxReasoningTokens extra generated tokens allowed for reasoning when {@code thinking}
 * @param temperature        sampling temperature (R1: 0.6); 0 = greedy
 * @param topP               nucleus sampling (R1: 0.95)
 * @param seed               base seed: every request's seed is derived from it, the doc id, the level and the
 *                           chunk index, so the same input gives the same summaries in any order or batch
 * @param maxAttempts        tries per request before the document fails
 */
public record SummarizeOptions(int maxChunkTokens, int overlapTokens, int maxSummaryTokens, boolean thinking,
                               int maxReasoningTokens, double temperature, double topP, long seed, int maxAttempts)
        implements Serializable {

    public SummarizeOptions {
        if (maxChunkTokens < 16) throw new IllegalArgumentException("max chunk tokens must be >= 16, got " + maxChunkTokens);
        if (overlapTokens < 0 || overlapTokens > maxChunkTokens / 2) {
            throw new IllegalArgumentException("overlap tokens must be in [0, max chunk tokens / 2 = " + maxChunkTokens / 2
                    + "], got " + overlapTokens);
        }
        if (maxSummaryTokens < 1) throw new IllegalArgumentException("max summary tokens must be >= 1, got " + maxSummaryTokens);
        if (maxSummaryTokens * 2 > maxChunkTokens) {
            throw new IllegalArgumentException("max summary tokens (" + maxSummaryTokens + ") must be at most half of max chunk "
                    + "tokens (" + maxChunkTokens + ") so that each reduce round combines at least two summaries; "
                    + "raise --max-chunk-tokens or lower --max-summary-tokens");
        }
        if (maxReasoningTokens < 0) throw new IllegalArgumentException("max reasoning tokens must be >= 0, got " + maxReasoningTokens);
        if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be >= 1, got " + maxAttempts);
        new SamplingParams(temperature, 0, topP, seed, 1, List.of()); // validates temperature and top_p
    }

    /** 1024-token chunks with 128 overlapping, 256-token summaries, no reasoning, R1's sampling, seed 42. */
    public static SummarizeOptions defaults() {
        return new SummarizeOptions(1024, 128, 256, false, 512, 0.6, 0.95, 42, 2);
    }

    /** Chunk size with the overlap at one eighth of it. */
    public SummarizeOptions withMaxChunkTokens(int n) {
        return new SummarizeOptions(n, n / 8, maxSummaryTokens, thinking, maxReasoningTokens, temperature, topP, seed, maxAttempts);
    }

    public SummarizeOptions withOverlapTokens(int n) {
        return new SummarizeOptions(maxChunkTokens, n, maxSummaryTokens, thinking, maxReasoningTokens, temperature, topP, seed, maxAttempts);
    }

    public SummarizeOptions withMaxSummaryTokens(int n) {
        return new SummarizeOptions(maxChunkTokens, overlapTokens, n, thinking, maxReasoningTokens, temperature, topP, seed, maxAttempts);
    }

    public SummarizeOptions withThinking(boolean on, int reasoningTokens) {
        return new SummarizeOptions(maxChunkTokens, overlapTokens, maxSummaryTokens, on, reasoningTokens, temperature, topP, seed, maxAttempts);
    }

    public SummarizeOptions withSampling(double t, double p) {
        return new SummarizeOptions(maxChunkTokens, overlapTokens, maxSummaryTokens, thinking, maxReasoningTokens, t, p, seed, maxAttempts);
    }

    public SummarizeOptions withSeed(long s) {
        return new SummarizeOptions(maxChunkTokens, overlapTokens, maxSummaryTokens, thinking, maxReasoningTokens, temperature, topP, s, maxAttempts);
    }

    public SummarizeOptions withMaxAttempts(int n) {
        return new SummarizeOptions(maxChunkTokens, overlapTokens, maxSummaryTokens, thinking, maxReasoningTokens, temperature, topP, seed, n);
    }

    /** Generated tokens per request: the summary, plus the reasoning budget when thinking. */
    public int maxGeneratedTokens() { return maxSummaryTokens + (thinking ? maxReasoningTokens : 0); }
}
