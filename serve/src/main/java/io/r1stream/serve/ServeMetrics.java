package io.r1stream.serve;

import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.KvSource;
import io.r1stream.engine.RequestTiming;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code GET /metrics}: the engine's counters and gauges under the names in DESIGN.md (vLLM's meanings), the
 * latency histograms of the requests served here, and HTTP responses by status, in Prometheus text format.
 */
final class ServeMetrics {
    final LatencyHistogram ttft = new LatencyHistogram("r1stream_time_to_first_token_seconds", "submit to first generated token");
    final LatencyHistogram itl = new LatencyHistogram("r1stream_inter_token_latency_seconds", "gap between consecutive generated tokens");
    final LatencyHistogram e2e = new LatencyHistogram("r1stream_e2e_request_latency_seconds", "submit to finished");
    final LatencyHistogram queue = new LatencyHistogram("r1stream_request_queue_time_seconds", "submit to first scheduled step");
    final LongAdder cancelled = new LongAdder();
    private final Map<Integer, LongAdder> responses = new ConcurrentHashMap<>();

    void finished(RequestTiming t) {
        ttft.observeMs(t.ttftMs());
        e2e.observeMs(t.e2eMs());
        queue.observeMs(t.queueMs());
    }

    void response(int status) {
        responses.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    /** @param engine null while the model loads (only the HTTP figures exist then) */
    String render(EngineMetrics engine, boolean ready) {
        StringBuilder out = new StringBuilder(4096);
        gauge(out, "r1stream_model_ready", "1 once the model is loaded", ready ? 1 : 0);
        if (engine != null) {
            gauge(out, "r1stream_num_requests_running", "sequences in the running batch", engine.running.get());
            gauge(out, "r1stream_num_requests_waiting", "requests queued for the batch", engine.waiting.get());
            gauge(out, "r1stream_kv_cache_usage_ratio", "engine-tier KV blocks in use / budget", engine.kvUsageRatio());
            counter(out, "r1stream_prompt_tokens_total", "prompt tokens (computed + cached)", engine.promptTokens.sum());
            counter(out, "r1stream_generation_tokens_total", "generated tokens", engine.generationTokens.sum());
            counter(out, "r1stream_prefix_cache_queries_total", "prefix-cache lookups", engine.prefixCacheQueries.sum());
            out.append("# HELP r1stream_prefix_cache_hits_total lookups that reused a cached prefix, by tier\n");
            out.append("# TYPE r1stream_prefix_cache_hits_total counter\n");
            for (KvSource tier : KvSource.values()) {
                if (tier == KvSource.NONE) continue;
                out.append("r1stream_prefix_cache_hits_total{tier=\"").append(tier.wireName()).append("\"} ")
                        .append(engine.prefixCacheHits(tier).sum()).append('\n');
            }
            counter(out, "r1stream_cached_prompt_tokens_total", "prompt tokens served from a KV tier", engine.cachedPromptTokens.sum());
            counter(out, "r1stream_num_preemptions_total", "running sequences preempted for KV memory", engine.preemptions.sum());
        }
        counter(out, "r1stream_requests_cancelled_total", "requests cancelled because the client went away", cancelled.sum());
        ttft.writeTo(out);
        itl.writeTo(out);
        e2e.writeTo(out);
        queue.writeTo(out);
        out.append("# HELP r1stream_http_responses_total HTTP responses by status code\n");
        out.append("# TYPE r1stream_http_responses_total counter\n");
        responses.forEach((code, n) -> out.append("r1stream_http_responses_total{code=\"").append(code).append("\"} ").append(n.sum()).append('\n'));
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, double v) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long v) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }
}
