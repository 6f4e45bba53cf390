package io.r1stream.operators;

import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.KvSource;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.EnumMap;
import java.util.Map;

/**
 * The Flink metrics of a conversation operator, named as in DESIGN.md ("Metric names"). Histograms and
 * counters count this subtask's requests; the gauges read the engine, which every subtask of a TaskManager
 * shares, so each subtask there reports the same engine-wide value (take max, not sum, per TaskManager).
 */
final class ConversationMetrics {
    static final String TTFT = "r1stream_time_to_first_token_seconds";
    static final String ITL = "r1stream_inter_token_latency_seconds";
    static final String E2E = "r1stream_e2e_request_latency_seconds";
    static final String QUEUE = "r1stream_request_queue_time_seconds";
    static final String RUNNING = "r1stream_num_requests_running";
    static final String WAITING = "r1stream_num_requests_waiting";
    static final String KV_USAGE = "r1stream_kv_cache_usage_ratio";
    static final String PROMPT_TOKENS = "r1stream_prompt_tokens_total";
    static final String GENERATION_TOKENS = "r1stream_generation_tokens_total";
    static final String PREFIX_QUERIES = "r1stream_prefix_cache_queries_total";
    static final String PREFIX_HITS = "r1stream_prefix_cache_hits_total";
    static final String TOO_LONG = "r1stream_prompts_too_long_total";
    static final String EXPIRED = "r1stream_conversations_expired_total";
    static final String IN_FLIGHT = "r1stream_operator_turns_in_flight";

    private static final int HISTOGRAM_WINDOW = 1024;

    final SecondsHistogram ttft = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram itl = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram e2e = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram queue = new SecondsHistogram(HISTOGRAM_WINDOW);
    final Counter promptTokens;
    final Counter generationTokens;
    final Counter prefixQueries;
    final Map<KvSource, Counter> prefixHits = new EnumMap<>(KvSource.class);
    final Counter tooLong;
    final Counter expired;

    ConversationMetrics(MetricGroup group, EngineMetrics engine, Gauge<Integer> inFlight) {
        group.histogram(TTFT, ttft);
        group.histogram(ITL, itl);
        group.histogram(E2E, e2e);
        group.histogram(QUEUE, queue);
        group.gauge(RUNNING, (Gauge<Long>) engine.running::get);
        group.gauge(WAITING, (Gauge<Long>) engine.waiting::get);
        group.gauge(KV_USAGE, (Gauge<Double>) engine::kvUsageRatio);
        group.gauge(IN_FLIGHT, inFlight);
        promptTokens = group.counter(PROMPT_TOKENS);
        generationTokens = group.counter(GENERATION_TOKENS);
        prefixQueries = group.counter(PREFIX_QUERIES);
        for (KvSource tier : KvSource.values()) {
            if (tier != KvSource.NONE) prefixHits.put(tier, group.addGroup("tier", tier.wireName()).counter(PREFIX_HITS));
        }
        tooLong = group.counter(TOO_LONG);
        expired = group.counter(EXPIRED);
    }

    /** One finished request; {@code waitMs} is the time it spent in the operator before reaching the engine. */
    void record(GenerationResult r, double waitMs) {
        ttft.updateMillis(waitMs + r.timing().ttftMs());
        e2e.updateMillis(waitMs + r.timing().e2eMs());
        queue.updateMillis(waitMs + r.timing().queueMs());
        if (r.completionTokens() > 1) itl.updateMillis(r.timing().meanItlMs());
        promptTokens.inc(r.promptTokens());
        generationTokens.inc(r.completionTokens());
        prefixQueries.inc();
        if (r.kvSource() != null && r.kvSource() != KvSource.NONE) prefixHits.get(r.kvSource()).inc();
    }
}
