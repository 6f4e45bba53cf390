package io.r1stream.jobs;

import io.r1stream.connectors.records.ChatResult;

/**
 * What the metrics window needs of one result or dead letter.
 *
 * @param deadLetter true for a dead letter (then the other fields are 0)
 * @param ttftMs     time to first token, ms
 * @param e2eMs      end-to-end latency, ms
 */
public record MetricSample(boolean deadLetter, double ttftMs, double e2eMs, int completionTokens, int promptTokens,
                           int cachedTokens) {

    public static MetricSample of(ChatResult r) {
        return new MetricSample(false, r.latencyMs().ttft(), r.latencyMs().e2e(), r.usage().completionTokens(),
                r.usage().promptTokens(), r.usage().cachedTokens());
    }

    public static MetricSample deadLetterSample() { return new MetricSample(true, 0, 0, 0, 0, 0); }
}
