package io.r1stream.connectors.records;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Latency and throughput of the requests that finished in one time window, written to the
 * {@code metrics} topic (JSON, snake_case). Latencies are milliseconds, measured as in
 * {@link ChatResult.Latency}; percentiles are 0 when {@code count} is 0.
 *
 * @param windowStart     {@code window_start}: window start, epoch ms, inclusive.
 * @param windowEnd       {@code window_end}: window end, epoch ms, exclusive.
 * @param count           {@code count}: results in the window.
 * @param ttftP50         {@code ttft_p50}: median time to first token, ms.
 * @param ttftP95         {@code ttft_p95}: 95th percentile time to first token, ms.
 * @param ttftP99         {@code ttft_p99}: 99th percentile time to first token, ms.
 * @param e2eP50          {@code e2e_p50}: median end-to-end latency, ms.
 * @param e2eP95          {@code e2e_p95}: 95th percentile end-to-end latency, ms.
 * @param e2eP99          {@code e2e_p99}: 99th percentile end-to-end latency, ms.
 * @param tokensPerSecond {@code tokens_per_second}: completion tokens of the window's results divided
 *                        by the window length in seconds.
 * @param cacheHitRatio   {@code cache_hit_ratio}: cached prompt tokens / prompt tokens over the window,
 *                        in [0, 1]; 0 when there were no prompt tokens.
 * @param dlqCount        {@code dlq_count}: dead letters produced in the window.
 */
public record MetricsWindow(
        @JsonProperty("window_start") long windowStart,
        @JsonProperty("window_end") long windowEnd,
        @JsonProperty("count") long count,
        @JsonProperty("ttft_p50") double ttftP50,
        @JsonProperty("ttft_p95") double ttftP95,
        @JsonProperty("ttft_p99") double ttftP99,
        @JsonProperty("e2e_p50") double e2eP50,
        @JsonProperty("e2e_p95") double e2eP95,
        @JsonProperty("e2e_p99") double e2eP99,
        @JsonProperty("tokens_per_second") double tokensPerSecond,
        @JsonProperty("cache_hit_ratio") double cacheHitRatio,
        @JsonProperty("dlq_count") long dlqCount) {}
