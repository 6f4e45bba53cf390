package io.r1stream.operators;

import io.r1stream.engine.Completion;
import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.KvSource;
import io.r1stream.engine.RequestTiming;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.kv.KvEncoding;
import io.r1stream.engine.sample.FinishReason;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An engine that answers only when the test says so ({@link #finish}), from the calling thread, like the
 * real engine's loop thread would. Found by name so that a serializable {@link EngineFactory} can reach it.
 */
final class FakeEngine implements InferenceEngine {
    private static final Map<String, FakeEngine> REGISTRY = new ConcurrentHashMap<>();

    final String name;
    final EngineMetrics metrics = new EngineMetrics();
    final List<GenerationRequest> submitted = new CopyOnWriteArrayList<>();
    final Map<String, Completion> open = new ConcurrentHashMap<>();
    final Map<String, List<KvChunk>> imported = new ConcurrentHashMap<>();
    final List<String> exported = new CopyOnWriteArrayList<>();
    final List<String> dropped = new CopyOnWriteArrayList<>();

    private FakeEngine(String name) { this.name = name; }

    static FakeEngine create(String name) {
        FakeEngine e = new FakeEngine(name);
        REGISTRY.put(name, e);
        return e;
    }

    /** A factory of this engine with a {@link FakeCodec}. */
    static EngineFactory factory(String name) {
        return () -> EngineFactory.Session.of(REGISTRY.get(name), new FakeCodec(), () -> {});
    }

    @Override
    public Completion submit(GenerationRequest request, TokenListener listener) {
        Completion c = new Completion(request.requestId());
        open.put(request.requestId(), c);
        submitted.add(request);
        return c;
    }

    List<String> submittedIds() {
        List<String> ids = new ArrayList<>();
        for (GenerationRequest r : submitted) ids.add(r.requestId());
        return ids;
    }

    GenerationRequest request(String requestId) {
        for (GenerationRequest r : submitted) if (r.requestId().equals(requestId)) return r;
        throw new AssertionError("request " + requestId + " was never submitted; submitted: " + submittedIds());
    }

    /** Completes a request with {@code text} (token ids: one per word). */
    void finish(String requestId, String text) {
        Completion c = open.remove(requestId);
        if (c == null) throw new AssertionError("request " + requestId + " is not open; open: " + open.keySet());
        GenerationRequest r = request(requestId);
        int[] out = new FakeCodec().tokenize(text);
        KvSource source = r.conversationId() != null && imported.containsKey(r.conversationId()) ? KvSource.STATE : KvSource.NONE;
        // like the engine: the retained prefix from exportKvFrom on comes back as one chunk per call
        List<KvChunk> chunks = List.of();
        int keep = r.retainTokens() == GenerationRequest.RETAIN_ALL ? r.promptTokens().length : r.retainTokens();
        if (r.exportKvFrom() != GenerationRequest.NO_EXPORT && keep > r.exportKvFrom()) {
            int[] ids = java.util.Arrays.copyOfRange(r.promptTokens(), r.exportKvFrom(), keep);
            chunks = List.of(new KvChunk(KvChunk.FORMAT_VERSION, 0L, 1, 2, KvEncoding.FP16, r.exportKvFrom(), ids,
                    new byte[4 * ids.length]));
            exported.add(r.conversationId());
        }
        c.result().complete(new GenerationResult(requestId, out, text, FinishReason.STOP, r.promptTokens().length,
                source == KvSource.STATE ? r.promptTokens().length / 2 : 0, source, new RequestTiming(1, 5, 2, 10), null,
                chunks));
    }

    /** Answers every open request (so a harness can close: finish() waits for turns in flight). */
    void finishAll() {
        for (String id : List.copyOf(open.keySet())) finish(id, "done");
    }

    boolean isCancelled(String requestId) { return open.containsKey(requestId) && open.get(requestId).isCancelled(); }

    void awaitOpen(String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!open.containsKey(requestId)) {
            if (System.nanoTime() > deadline) throw new AssertionError("request " + requestId + " never submitted");
            Thread.sleep(5);
        }
    }

    @Override public EngineMetrics metrics() { return metrics; }

    @Override
    public List<KvChunk> exportKv(String conversationId) {
        throw new AssertionError("the operator must not wait on the engine thread for KV (exportKv of " + conversationId + ")");
    }

    @Override
    public void importKv(String conversationId, List<KvChunk> chunks) { imported.put(conversationId, List.copyOf(chunks)); }

    @Override
    public void dropConversation(String conversationId) { dropped.add(conversationId); }

    @Override
    public void close() { REGISTRY.remove(name); }

    static Map<String, FakeEngine> registry() { return new LinkedHashMap<>(REGISTRY); }
}
