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
    static final String LAG = "r1stream_source_lag_seconds";
    static final String TURN_TIMEOUTS = "r1stream_turn_timeouts_total";
    static final String DEDUPLICATED = "r1stream_requests_deduplicated_total";
    static final String QUEUE_FULL = "r1stream_conversation_queue_full_total";
    static final String CONTEXT_DROPS = "r1stream_context_turns_dropped_total";
    static final String FAILED = "r1stream_requests_failed_total";
    static final String KV_STATE_BYTES = "r1stream_kv_state_bytes_written_total";
    static final String PREEMPTIONS = "r1stream_num_preemptions_total";
    static final String HOST_KV_BYTES = "r1stream_host_kv_bytes";
    static final String FINGERPRINT_MISMATCHES = "r1stream_kv_fingerprint_mismatches_total";

    private static final int HISTOGRAM_WINDOW = 1024;

    final SecondsHistogram ttft = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram itl = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram e2e = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram queue = new SecondsHistogram(HISTOGRAM_WINDOW);
    final SecondsHistogram lag = new SecondsHistogram(HISTOGRAM_WINDOW);
    final Counter promptTokens;
    final Counter generationTokens;
    final Counter prefixQueries;
    final Map<KvSource, Counter> prefixHits = new EnumMap<>(KvSource.class);
    final Counter tooLong;
    final Counter expired;
    final Counter turnTimeouts;
    final Counter deduplicated;
    final Counter queueFull;
    final Counter contextDrops;
    final Counter failed;
    final Counter kvStateBytes;

    ConversationMetrics(MetricGroup group, EngineMetrics engine, Gauge<Integer> inFlight) {
        group.histogram(TTFT, ttft);
        group.histogram(ITL, itl);
        group.histogram(E2E, e2e);
        group.histogram(QUEUE, queue);
        group.histogram(LAG, lag);
        // engine-wide (same value in every subtask of a TaskManager), as the other engine gauges
        group.gauge(PREEMPTIONS, (Gauge<Long>) engine.preemptions::sum);
        group.gauge(HOST_KV_BYTES, (Gauge<Long>) engine.hostKvBytes::get);
        group.gauge(FINGERPRINT_MISMATCHES, (Gauge<Long>) engine.kvFingerprintMismatches::sum);
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
        turnTimeouts = group.counter(TURN_TIMEOUTS);
        deduplicated = group.counter(DEDUPLICATED);
        queueFull = group.counter(QUEUE_FULL);
        contextDrops = group.counter(CONTEXT_DROPS);
        failed = group.counter(FAILED);
        kvStateBytes = group.counter(KV_STATE_BYTES);
    }

    /** One finished request; {@code waitMs} is the time it spent in the operator before reaching the engine. */
    void record(GenerationResult r, double waitMs, double lagMs) {
        lag.updateMillis(lagMs);
        if (r.finishReason() == io.r1stream.engine.sample.FinishReason.ERROR) failed.inc();
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
