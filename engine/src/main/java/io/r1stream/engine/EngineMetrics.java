package io.r1stream.engine;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Plain counters and gauges of one engine, read by whoever publishes them (the Flink operator registers
 * them as Flink metrics under the names in DESIGN.md). Written by the engine loop, read from any thread.
 */
public final class EngineMetrics {
    public final LongAdder promptTokens = new LongAdder();        // r1stream_prompt_tokens_total (computed + cached)
    public final LongAdder cachedPromptTokens = new LongAdder();  // prompt tokens served from a KV tier
    public final LongAdder computedPromptTokens = new LongAdder();// prompt tokens prefilled
    public final LongAdder generationTokens = new LongAdder();    // r1stream_generation_tokens_total
    public final LongAdder requestsFinished = new LongAdder();
    public final LongAdder preemptions = new LongAdder();
    /** KV blocks freed by preemptions (a preemption that frees nothing would be a scheduling bug). */
    public final LongAdder preemptionFreedBlocks = new LongAdder();
    public final LongAdder steps = new LongAdder();
    public final LongAdder requestsFailed = new LongAdder();      // finished with finish_reason error
    /** KV chunks offered from keyed state that another model computed (refused; the prefix is recomputed). */
    public final LongAdder kvFingerprintMismatches = new LongAdder();
    /** Queued tasks (KV imports, drops) that threw; the batch went on. */
    public final LongAdder failedTasks = new LongAdder();
    /** Prefix-cache lookups: one per request with a conversation id. */
    public final LongAdder prefixCacheQueries = new LongAdder();
    private final Map<KvSource, LongAdder> prefixCacheHits = new EnumMap<>(KvSource.class);
    public final AtomicLong running = new AtomicLong();           // r1stream_num_requests_running
    public final AtomicLong waiting = new AtomicLong();           // r1stream_num_requests_waiting
    /** Most sequences ever in one forward step (how much batching the workload got); for tests and benchmarks. */
    public final AtomicLong batchPeak = new AtomicLong();
    public final AtomicLong kvBlocksUsed = new AtomicLong();
    public final AtomicLong kvBlocksTotal = new AtomicLong();
    public final AtomicLong hostKvBytes = new AtomicLong();
    /** Idle conversations moved from the engine tier to the host tier, so far. */
    public final AtomicLong hostKvEvictions = new AtomicLong();

    public EngineMetrics() {
        for (KvSource s : KvSource.values()) if (s != KvSource.NONE) prefixCacheHits.put(s, new LongAdder());
    }

    /** r1stream_prefix_cache_hits_total{tier=...}. */
    public LongAdder prefixCacheHits(KvSource tier) { return prefixCacheHits.get(tier); }

    /** r1stream_kv_cache_usage_ratio: engine-tier blocks in use (running + retained) / budget. */
    public double kvUsageRatio() {
        long total = kvBlocksTotal.get();
        return total == 0 ? 0 : (double) kvBlocksUsed.get() / total;
    }

    /** Share of prompt tokens that came from a cache tier. */
    public double cachedTokenRatio() {
        long all = promptTokens.sum();
        return all == 0 ? 0 : (double) cachedPromptTokens.sum() / all;
    }
}
