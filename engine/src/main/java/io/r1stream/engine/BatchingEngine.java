package io.r1stream.engine;

import io.r1stream.engine.kv.ConversationKvCache;
import io.r1stream.engine.kv.KvBlockPool;
import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.kv.KvChunkCodec;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.ForwardPass;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.StopCondition;
import io.r1stream.engine.sched.StepPlanner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The continuous-batching engine: one loop thread owns the model, the KV pool and every request. Each
 * iteration plans the running requests' step under the token budget and reserves their KV (evicting idle
 * conversations, else preempting the most recently admitted running request, which later recomputes), then
 * admits waiting requests, vLLM-v1 style, only while their first chunk's KV can be allocated; runs one batched
 * forward pass; and samples, streams and finishes sequences. Callers talk to it only through a queue.
 *
 * <p>Every submitted request ends: with its result, or with an error result that says what failed (a request
 * whose KV lookup or allocation throws, an engine step that fails, an engine that closes). Nothing a caller
 * hands in can stall the loop: KV imports and drops are queued like submissions (in order with them), and a
 * failing queued task or token listener affects only its own request.
 */
public final class BatchingEngine implements InferenceEngine {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingEngine.class);

    private final ForwardPass model;
    private final Set<Integer> eosIds;
    private final Supplier<Detokenizer> detokenizers;
    private final StepPlanner planner;
    private final int maxRunning;
    private final int maxTokensPerStep;
    private final ConversationKvCache cache;
    private final EngineMetrics metrics = new EngineMetrics();
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final ArrayDeque<ActiveRequest> waiting = new ArrayDeque<>();
    private final List<ActiveRequest> running = new ArrayList<>();
    private final Object lifecycle = new Object();
    private final Thread loop;
    private volatile boolean closed;

    public BatchingEngine(ForwardPass model, Set<Integer> eosIds, Supplier<Detokenizer> detokenizers, EngineOptions options) {
        this(model, eosIds, detokenizers, options, 0L);
    }

    /** @param modelFingerprint stamped on exported KV chunks; imported chunks with another one are refused */
    public BatchingEngine(ForwardPass model, Set<Integer> eosIds, Supplier<Detokenizer> detokenizers, EngineOptions options,
                          long modelFingerprint) {
        this.model = model;
        this.eosIds = Set.copyOf(eosIds);
        this.detokenizers = detokenizers;
        this.planner = new StepPlanner(options.limits());
        this.maxRunning = options.maxRunning();
        this.maxTokensPerStep = options.maxTokensPerStep();
        KvBlockPool pool = new KvBlockPool(model.kvLayout(), options.kvBudgetBytes());
        this.cache = new ConversationKvCache(pool, new KvChunkCodec(model.kvLayout(), options.hostKvEncoding(), modelFingerprint),
                options.hostKvBudgetBytes(), options.kvChunkTokens());
        metrics.kvBlocksTotal.set(pool.capacity());
        this.loop = new Thread(this::run, "r1stream-engine");
        loop.setDaemon(true);
        loop.start();
    }

    public ForwardPass model() { return model; }

    @Override
    public Completion submit(GenerationRequest request, TokenListener listener) {
        Completion c = new Completion(request.requestId());
        int max = model.config().maxPositionEmbeddings();
        if (request.promptTokens().length >= max) {
            c.result().complete(failed(request, "prompt of " + request.promptTokens().length
                    + " tokens does not fit the model's context of " + max + " positions"));
            return c;
        }
        StopCondition stop = new StopCondition(eosIds, request.sampling().stop(), request.sampling().maxTokens());
        ActiveRequest r = new ActiveRequest(request, c, listener, stop, detokenizers.get());
        synchronized (lifecycle) { // after close() no task is queued, so none is left behind unanswered
            if (closed) {
                c.result().complete(failed(request, "engine closed"));
                return c;
            }
            metrics.waiting.incrementAndGet();
            inbox.add(() -> waiting.addLast(r));
        }
        return c;
    }

    @Override public EngineMetrics metrics() { return metrics; }

    @Override
    public List<KvChunk> exportKv(String conversationId) { return onLoop(() -> cache.export(conversationId)); }

    /** Queued, in order with submissions: a later {@code submit} for the conversation sees the chunks. */
    @Override
    public void importKv(String conversationId, List<KvChunk> chunks) {
        List<KvChunk> copy = List.copyOf(chunks);
        post(() -> {
            ConversationKvCache.ImportOutcome outcome = cache.importChunks(conversationId, copy);
            if (outcome == ConversationKvCache.ImportOutcome.OTHER_MODEL) {
                metrics.kvFingerprintMismatches.increment();
                LOG.warn("KV chunks of conversation {} were computed by another model; its prefix is recomputed", conversationId);
            }
        });
    }

    /** Queued, in order with submissions. */
    @Override
    public void dropConversation(String conversationId) { post(() -> cache.drop(conversationId)); }

    private void post(Runnable task) {
        synchronized (lifecycle) {
            if (!closed) inbox.add(task);
        }
    }

    /** Runs a task on the loop thread and waits for it (the cache is not thread-safe by design); tools only. */
    private <T> T onLoop(Supplier<T> task) {
        if (Thread.currentThread() == loop) return task.get();
        CompletableFuture<T> f = new CompletableFuture<>();
        synchronized (lifecycle) {
            if (closed) throw new IllegalStateException("engine is closed");
            inbox.add(() -> {
                try { f.complete(task.get()); } catch (Throwable e) { f.completeExceptionally(e); }
            });
        }
        return f.join();
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
            inbox.add(() -> {});
        }
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ the loop

    private void run() {
        while (!closed) {
            try {
                drainInbox(running.isEmpty() && waiting.isEmpty());
                step();
            } catch (InterruptedException e) {
                break;
            } catch (Throwable e) {
                LOG.error("engine step failed; failing the running requests", e);
                for (ActiveRequest r : List.copyOf(running)) finishQuietly(r, "engine step failed: " + e);
            }
        }
        try {
            drainInbox(false); // submissions queued before close() must be answered too
        } catch (InterruptedException ignored) {
            // answered below either way
        }
        for (ActiveRequest r : List.copyOf(running)) finishQuietly(r, "engine closed");
        for (ActiveRequest r : waiting) r.completion.result().complete(failed(r.request, "engine closed"));
        waiting.clear();
    }

    private void drainInbox(boolean idle) throws InterruptedException {
        Runnable t = idle ? inbox.poll(100, TimeUnit.MILLISECONDS) : inbox.poll();
        while (t != null) {
            try {
                t.run();
            } catch (Throwable e) { // a bad import (wrong shape) must not fail the running batch
                metrics.failedTasks.increment();
                LOG.warn("engine task failed: {}", e.toString());
            }
            t = inbox.poll();
        }
    }

    private void step() {
        dropCancelled();
        List<StepPlanner.Share<ActiveRequest>> shares = reserve(planner.plan(running));
        admit(shares);
        if (shares.isEmpty()) {
            updateGauges();
            return;
        }
        long now = System.nanoTime();
        List<SequenceStep> steps = new ArrayList<>(shares.size());
        for (StepPlanner.Share<ActiveRequest> s : shares) {
            ActiveRequest r = s.work();
            if (r.firstScheduledNanos == 0) r.firstScheduledNanos = now;
            int from = r.kv.length();
            int[] chunk = r.tokens(from, from + s.tokens());
            if (r.generated == 0) metrics.computedPromptTokens.add(chunk.length);
            steps.add(new SequenceStep(r.kv, chunk, from + s.tokens() == r.length()));
        }
        float[][] logits = model.forward(steps);
        metrics.steps.increment();
        metrics.batchPeak.accumulateAndGet(steps.size(), Math::max);
        for (int i = 0; i < shares.size(); i++) {
            if (logits[i] != null) emit(shares.get(i).work(), logits[i]);
        }
        updateGauges();
    }

    /**
     * Admits waiting requests (FIFO) while the batch has room and the step has budget, each only if the KV for
     * the tokens it runs this step can be allocated now (idle conversations are evicted for it; running
     * requests are never preempted for a newcomer). A request that alone cannot fit the budget fails.
     */
    private void admit(List<StepPlanner.Share<ActiveRequest>> shares) {
        int budget = maxTokensPerStep;
        for (StepPlanner.Share<ActiveRequest> s : shares) budget -= s.tokens();
        while (running.size() < maxRunning && budget > 0 && !waiting.isEmpty()) {
            ActiveRequest r = waiting.peekFirst();
            try {
                if (r.kv == null) attachKv(r);
                int n = Math.min(r.pendingTokens(), budget);
                if (!r.kv.reserve(r.kv.length() + n, cache.blocks())) {
                    if (!running.isEmpty()) return; // running requests will free blocks; keep FIFO order
                    waiting.pollFirst();
                    metrics.waiting.decrementAndGet();
                    running.add(r);
                    finish(r, FinishReason.ERROR, "KV budget too small: " + (r.kv.length() + n)
                            + " positions do not fit the engine's KV memory even with nothing else in it; raise --kv-budget-mib");
                    continue;
                }
                waiting.pollFirst();
                metrics.waiting.decrementAndGet();
                running.add(r);
                shares.add(new StepPlanner.Share<>(r, n));
                budget -= n;
            } catch (Throwable e) { // a lookup or allocation that throws fails this request, not the loop
                LOG.error("admitting request {} failed", r.request.requestId(), e);
                if (waiting.remove(r)) metrics.waiting.decrementAndGet();
                running.remove(r);
                if (r.kv != null) {
                    try { r.kv.release(cache.pool()); } catch (RuntimeException ignored) { /* blocks already gone */ }
                    r.kv = null;
                }
                metrics.requestsFailed.increment();
                complete(r, failedResult(r, "admission failed: " + e));
            }
        }
    }

    /** A new request takes its conversation's cached prefix; a preempted one starts over (recompute). */
    private void attachKv(ActiveRequest r) {
        if (r.admitted) {
            r.kv = new KvSequence(model.kvLayout());
            return;
        }
        r.admitted = true;
        int[] prompt = r.request.promptTokens();
        metrics.promptTokens.add(prompt.length);
        String conv = r.request.conversationId();
        if (conv == null) {
            r.kv = new KvSequence(model.kvLayout());
            return;
        }
        metrics.prefixCacheQueries.increment();
        ConversationKvCache.Lookup hit = cache.take(conv);
        KvSequence kv = hit.kv();
        // Prefix-exact reuse; the last prompt token is always recomputed so its logits exist.
        int keep = Math.min(kv.commonPrefix(prompt), prompt.length - 1);
        kv.truncate(keep, cache.pool());
        r.kv = kv;
        r.cachedTokens = keep; // reported as is even if the request is preempted and recomputes later
        r.kvSource = keep > 0 ? hit.source() : KvSource.NONE;
        if (keep > 0) {
            metrics.prefixCacheHits(hit.source()).increment();
            metrics.cachedPromptTokens.add(keep);
        }
    }

    /**
     * Reserves KV for the running requests' planned tokens. When memory is exhausted even after evicting idle
     * conversations, the most recently admitted running request that holds blocks is preempted (its KV freed;
     * it waits at the head of the queue and recomputes); a request alone in the batch that still does not fit
     * fails with the reason.
     */
    private List<StepPlanner.Share<ActiveRequest>> reserve(List<StepPlanner.Share<ActiveRequest>> plan) {
        List<StepPlanner.Share<ActiveRequest>> ok = new ArrayList<>();
        for (StepPlanner.Share<ActiveRequest> s : plan) {
            ActiveRequest r = s.work();
            if (!running.contains(r)) continue; // preempted for an earlier share this step
            while (!r.kv.reserve(r.kv.length() + s.tokens(), cache.blocks())) {
                ActiveRequest victim = victim();
                if (victim == null || running.size() == 1) {
                    finish(r, FinishReason.ERROR, "KV budget too small: " + (r.kv.length() + s.tokens())
                            + " positions do not fit; raise --kv-budget-mib");
                    break;
                }
                preempt(victim);
                ok.removeIf(x -> x.work() == victim);
                if (victim == r) break;
            }
            if (running.contains(r)) ok.add(s); // still running means its reservation succeeded
        }
        return ok;
    }

    /** The newest running request holding KV blocks (freeing it helps), or null. */
    private ActiveRequest victim() {
        for (int i = running.size() - 1; i >= 0; i--) {
            ActiveRequest r = running.get(i);
            if (r.kv != null && r.kv.blockCount() > 0) return r;
        }
        return null;
    }

    private void preempt(ActiveRequest r) {
        metrics.preemptionFreedBlocks.add(r.kv.blockCount());
        running.remove(r);
        r.kv.release(cache.pool());
        r.kv = null;
        waiting.addFirst(r);
        metrics.waiting.incrementAndGet();
        metrics.preemptions.increment();
    }

    /** Samples the next token, streams its text, and finishes the request on EOS, stop string or length. */
    private void emit(ActiveRequest r, float[] logits) {
        if (r.completion.isCancelled()) {
            finish(r, FinishReason.CANCELLED, null);
            return;
        }
        int token = r.sampler.next(logits);
        long now = System.nanoTime();
        if (r.firstTokenNanos == 0) r.firstTokenNanos = now;
        metrics.generationTokens.increment();
        if (r.stop.isEos(token)) { // EOS ends the answer and is not part of it
            finish(r, FinishReason.STOP, null);
            return;
        }
        r.lastTokenNanos = now;
        r.append(token);
        String delta = r.detokenizer.next(token);
        int before = r.text.length();
        r.text.append(delta);
        int stopAt = r.stop.stopIndex(r.text.toString(), before - r.stop.holdBack());
        if (stopAt >= 0) {
            r.text.setLength(stopAt);
            if (!stream(r, token, stopAt)) return;
            finish(r, FinishReason.STOP, null);
            return;
        }
        // text that may be the start of a stop string is held back until later tokens decide (never streamed if it is)
        if (!stream(r, token, r.text.length() - r.stop.partialStopSuffix(r.text))) return;
        if (r.stop.reachedLength(r.generated) || r.length() >= model.config().maxPositionEmbeddings()) {
            finish(r, FinishReason.LENGTH, null);
        }
    }

    /**
     * Hands the listener the text of {@code r} up to {@code upTo} not yet streamed (once per token, maybe empty).
     * A listener that throws ends its own request with the reason, not the batch; then this returns false.
     */
    private boolean stream(ActiveRequest r, int token, int upTo) {
        int from = r.streamed;
        r.streamed = Math.max(from, upTo);
        try {
            r.listener.onToken(token, r.text.substring(from, r.streamed));
            return true;
        } catch (Throwable e) {
            r.streamed = r.text.length(); // nothing more for this listener
            finish(r, FinishReason.ERROR, "token listener failed: " + e);
            return false;
        }
    }

    private void finish(ActiveRequest r, FinishReason reason, String error) {
        // held-back text that turned out not to begin a stop string: the deltas add up to the result's text
        if (r.streamed < r.text.length()) {
            int from = r.streamed;
            r.streamed = r.text.length();
            try {
                r.listener.onToken(r.lastToken(), r.text.substring(from));
            } catch (Throwable e) {
                if (reason != FinishReason.ERROR) {
                    reason = FinishReason.ERROR;
                    error = "token listener failed: " + e;
                }
            }
        }
        running.remove(r);
        String conv = r.request.conversationId();
        List<KvChunk> chunks = List.of();
        if (r.kv != null) {
            if (conv != null && reason != FinishReason.ERROR) {
                // keep only the prefix the next turn can reuse (the caller's template knows where it ends)
                int keep = r.request.retainTokens() == GenerationRequest.RETAIN_ALL
                        ? r.kv.length() : Math.min(r.request.retainTokens(), r.kv.length());
                r.kv.truncate(keep, cache.pool());
                int from = r.request.exportKvFrom();
                if (from != GenerationRequest.NO_EXPORT && keep > from) chunks = cache.chunksOf(r.kv, from, keep);
                cache.retain(conv, r.kv);
            } else {
                r.kv.release(cache.pool());
            }
            r.kv = null;
        }
        metrics.requestsFinished.increment();
        if (reason == FinishReason.ERROR) metrics.requestsFailed.increment();
        complete(r, new GenerationResult(r.request.requestId(), r.outputTokens(), r.text.toString(), reason,
                r.request.promptTokens().length, r.cachedTokens, r.kvSource, r.timing(System.nanoTime()), error, chunks));
        updateGauges();
    }

    /** finish() that cannot throw (used when the loop itself is failing). */
    private void finishQuietly(ActiveRequest r, String error) {
        try {
            finish(r, FinishReason.ERROR, error);
        } catch (Throwable e) {
            running.remove(r);
            complete(r, failedResult(r, error));
        }
    }

    private static void complete(ActiveRequest r, GenerationResult result) {
        r.completion.result().complete(result);
    }

    private void dropCancelled() {
        for (ActiveRequest r : List.copyOf(running)) if (r.completion.isCancelled()) finish(r, FinishReason.CANCELLED, null);
        waiting.removeIf(r -> {
            if (!r.completion.isCancelled()) return false;
            metrics.waiting.decrementAndGet();
            if (r.kv != null) {
                r.kv.release(cache.pool());
                r.kv = null;
            }
            r.completion.result().complete(new GenerationResult(r.request.requestId(), new int[0], "", FinishReason.CANCELLED,
                    r.request.promptTokens().length, 0, KvSource.NONE, r.timing(System.nanoTime()), null));
            return true;
        });
    }

    private void updateGauges() {
        metrics.running.set(running.size());
        metrics.kvBlocksUsed.set(cache.pool().used());
        metrics.hostKvBytes.set(cache.host().bytes());
        metrics.hostKvEvictions.set(cache.evictions());
    }

    /** Test view of the loop's state; only meaningful while the engine is idle. */
    int usedBlocks() { return onLoop(() -> cache.pool().used()); }

    int retainedBlocks() { return onLoop(cache::retainedBlocks); }

    private static GenerationResult failedResult(ActiveRequest r, String error) {
        return new GenerationResult(r.request.requestId(), r.outputTokens(), r.text.toString(), FinishReason.ERROR,
                r.request.promptTokens().length, r.cachedTokens, r.kvSource, r.timing(System.nanoTime()), error);
    }

    private static GenerationResult failed(GenerationRequest req, String error) {
        return GenerationResult.error(req.requestId(), req.promptTokens().length, error);
    }
}
