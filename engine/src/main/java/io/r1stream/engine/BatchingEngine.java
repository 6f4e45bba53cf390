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
 * iteration admits waiting requests (looking up their conversation's cached prefix), plans the step under
 * the token budget, makes room in KV memory (evicting idle conversations, else preempting the newest
 * running request, which later recomputes), runs one batched forward pass, and samples, streams and
 * finishes sequences. Callers talk to it only through a queue.
 */
public final class BatchingEngine implements InferenceEngine {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingEngine.class);

    private final ForwardPass model;
    private final Set<Integer> eosIds;
    private final Supplier<Detokenizer> detokenizers;
    private final StepPlanner planner;
    private final int maxRunning;
    private final ConversationKvCache cache;
    private final EngineMetrics metrics = new EngineMetrics();
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final ArrayDeque<ActiveRequest> waiting = new ArrayDeque<>();
    private final List<ActiveRequest> running = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;

    public BatchingEngine(ForwardPass model, Set<Integer> eosIds, Supplier<Detokenizer> detokenizers, EngineOptions options) {
        this.model = model;
        this.eosIds = Set.copyOf(eosIds);
        this.detokenizers = detokenizers;
        this.planner = new StepPlanner(options.limits());
        this.maxRunning = options.maxRunning();
        KvBlockPool pool = new KvBlockPool(model.kvLayout(), options.kvBudgetBytes());
        this.cache = new ConversationKvCache(pool, new KvChunkCodec(model.kvLayout(), options.hostKvEncoding()),
                options.hostKvBudgetBytes(), options.kvChunkTokens());
        metrics.kvBlocksTotal.set(pool.capacity());
        this.loop = new Thread(this::run, "r1stream-engine");
        loop.setDaemon(true);
        loop.start();
    }

    public ForwardPass model() { return model; }

    @Override
    public Completion submit(GenerationRequest request, TokenListener listener) {
        if (closed) throw new IllegalStateException("engine is closed");
        Completion c = new Completion(request.requestId());
        int max = model.config().maxPositionEmbeddings();
        if (request.promptTokens().length >= max) {
            c.result().complete(failed(request, "prompt of " + request.promptTokens().length
                    + " tokens does not fit the model's context of " + max + " positions"));
            return c;
        }
        StopCondition stop = new StopCondition(eosIds, request.sampling().stop(), request.sampling().maxTokens());
        ActiveRequest r = new ActiveRequest(request, c, listener, stop, detokenizers.get());
        metrics.waiting.incrementAndGet();
        inbox.add(() -> waiting.addLast(r));
        return c;
    }

    @Override public EngineMetrics metrics() { return metrics; }

    @Override
    public List<KvChunk> exportKv(String conversationId) { return onLoop(() -> cache.export(conversationId)); }

    @Override
    public void importKv(String conversationId, List<KvChunk> chunks) {
        onLoop(() -> { cache.importChunks(conversationId, chunks); return null; });
    }

    @Override
    public void dropConversation(String conversationId) {
        onLoop(() -> { cache.drop(conversationId); return null; });
    }

    /** Runs a task on the loop thread and waits for it (the cache is not thread-safe by design). */
    private <T> T onLoop(Supplier<T> task) {
        if (Thread.currentThread() == loop) return task.get();
        CompletableFuture<T> f = new CompletableFuture<>();
        inbox.add(() -> {
            try { f.complete(task.get()); } catch (RuntimeException e) { f.completeExceptionally(e); }
        });
        return f.join();
    }

    @Override
    public void close() {
        closed = true;
        inbox.add(() -> {});
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
                return;
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed; failing the running requests", e);
                for (ActiveRequest r : List.copyOf(running)) finish(r, FinishReason.ERROR, String.valueOf(e));
            }
        }
        for (ActiveRequest r : List.copyOf(running)) finish(r, FinishReason.CANCELLED, "engine closed");
        for (ActiveRequest r : waiting) r.completion.result().complete(failed(r.request, "engine closed"));
    }

    private void drainInbox(boolean idle) throws InterruptedException {
        Runnable t = idle ? inbox.poll(100, TimeUnit.MILLISECONDS) : inbox.poll();
        while (t != null) {
            t.run();
            t = inbox.poll();
        }
    }

    private void step() {
        dropCancelled();
        admit();
        if (running.isEmpty()) return;
        List<StepPlanner.Share<ActiveRequest>> plan = planner.plan(running);
        List<StepPlanner.Share<ActiveRequest>> reserved = reserve(plan);
        if (reserved.isEmpty()) return;
        long now = System.nanoTime();
        List<SequenceStep> steps = new ArrayList<>(reserved.size());
        for (StepPlanner.Share<ActiveRequest> s : reserved) {
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
        for (int i = 0; i < reserved.size(); i++) {
            if (logits[i] != null) emit(reserved.get(i).work(), logits[i]);
        }
        updateGauges();
    }

    /** Moves waiting requests into the batch while there is room, looking up each one's cached prefix. */
    private void admit() {
        while (running.size() < maxRunning && !waiting.isEmpty()) {
            ActiveRequest r = waiting.pollFirst();
            metrics.waiting.decrementAndGet();
            if (!r.admitted) {
                r.admitted = true;
                lookupPrefix(r);
            } else if (r.kv == null) {
                r.kv = new KvSequence(model.kvLayout()); // preempted: recompute everything known so far
            }
            running.add(r);
        }
    }

    private void lookupPrefix(ActiveRequest r) {
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
        r.cachedTokens = keep;
        r.kvSource = keep > 0 ? hit.source() : KvSource.NONE;
        if (keep > 0) {
            metrics.prefixCacheHits(hit.source()).increment();
            metrics.cachedPromptTokens.add(keep);
        }
    }

    /**
     * Reserves KV for the planned tokens. When memory is exhausted even after evicting idle conversations,
     * the most recently admitted running request is preempted (its KV freed; it recomputes later).
     */
    private List<StepPlanner.Share<ActiveRequest>> reserve(List<StepPlanner.Share<ActiveRequest>> plan) {
        List<StepPlanner.Share<ActiveRequest>> ok = new ArrayList<>();
        for (StepPlanner.Share<ActiveRequest> s : plan) {
            ActiveRequest r = s.work();
            if (!running.contains(r)) continue; // preempted for an earlier share this step
            while (!r.kv.reserve(r.kv.length() + s.tokens(), cache.blocks())) {
                ActiveRequest victim = running.get(running.size() - 1);
                if (running.size() == 1) {
                    finish(r, FinishReason.ERROR, "KV budget too small: " + (r.kv.length() + s.tokens())
                            + " tokens do not fit; raise --kv-budget-mib");
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

    private void preempt(ActiveRequest r) {
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
            stream(r, token, stopAt);
            finish(r, FinishReason.STOP, null);
            return;
        }
        // text that may be the start of a stop string is held back until later tokens decide (never streamed if it is)
        stream(r, token, r.text.length() - r.stop.partialStopSuffix(r.text));
        if (r.stop.reachedLength(r.generated) || r.length() >= model.config().maxPositionEmbeddings()) {
            finish(r, FinishReason.LENGTH, null);
        }
    }

    /** Hands the listener the text of {@code r} up to {@code upTo} not yet streamed (once per token, maybe empty). */
    private static void stream(ActiveRequest r, int token, int upTo) {
        int from = r.streamed;
        r.streamed = Math.max(from, upTo);
        r.listener.onToken(token, r.text.substring(from, r.streamed));
    }

    private void finish(ActiveRequest r, FinishReason reason, String error) {
        // held-back text that turned out not to begin a stop string: the deltas add up to the result's text
        if (r.streamed < r.text.length()) stream(r, r.lastToken(), r.text.length());
        running.remove(r);
        String conv = r.request.conversationId();
        if (r.kv != null) {
            if (conv != null && reason != FinishReason.ERROR) cache.retain(conv, r.kv);
            else r.kv.release(cache.pool());
        }
        metrics.requestsFinished.increment();
        r.completion.result().complete(new GenerationResult(r.request.requestId(), r.outputTokens(), r.text.toString(), reason,
                r.request.promptTokens().length, r.cachedTokens, r.kvSource, r.timing(System.nanoTime()), error));
        updateGauges();
    }

    private void dropCancelled() {
        for (ActiveRequest r : List.copyOf(running)) if (r.completion.isCancelled()) finish(r, FinishReason.CANCELLED, null);
        waiting.removeIf(r -> {
            if (!r.completion.isCancelled()) return false;
            metrics.waiting.decrementAndGet();
            r.completion.result().complete(new GenerationResult(r.request.requestId(), new int[0], "", FinishReason.CANCELLED,
                    r.request.promptTokens().length, 0, KvSource.NONE, r.timing(System.nanoTime()), null));
            return true;
        });
    }

    private void updateGauges() {
        metrics.running.set(running.size());
        metrics.kvBlocksUsed.set(cache.pool().used());
        metrics.hostKvBytes.set(cache.host().bytes());
    }

    private static GenerationResult failed(GenerationRequest req, String error) {
        return new GenerationResult(req.requestId(), new int[0], "", FinishReason.ERROR, req.promptTokens().length, 0,
                KvSource.NONE, new RequestTiming(0, 0, 0, 0), error);
    }
}
