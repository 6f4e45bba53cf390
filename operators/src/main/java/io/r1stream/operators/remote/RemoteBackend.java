package io.r1stream.operators.remote;

import io.r1stream.engine.Completion;
import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.KvSource;
import io.r1stream.engine.RequestTiming;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.operators.ChatBackend;
import io.r1stream.remote.RemoteChatClient;
import io.r1stream.remote.RemoteRequest;
import io.r1stream.remote.RemoteResult;

import java.util.ArrayList;
import java.util.List;

/**
 * The conversation operator's backend for OpenAI-compatible endpoints: turns go to {@link RemoteChatClient}
 * as messages; results come back as {@link GenerationResult}s, so the operator's bookkeeping is the same as
 * for the in-process engine. The engine half of it ({@link InferenceEngine}) only keeps the figures the
 * operator publishes as metrics; it holds no KV (the server owns its cache).
 *
 * <p>What differs from the local engine: the server does not return token ids, so an answer's
 * {@code outputTokens} are {@code usage.completion_tokens} placeholders (the history is rendered from text,
 * not ids); {@code kv_source} is {@code engine} when the server reports cached prompt tokens; cancelling a
 * turn (turn timeout) ends it in the operator while the HTTP request runs to its own timeout.
 */
final class RemoteBackend implements ChatBackend, InferenceEngine {
    private final RemoteChatClient client;
    private final EngineMetrics metrics = new EngineMetrics();

    RemoteBackend(RemoteChatClient client) {
        this.client = client;
    }

    @Override
    public Completion submit(String conversationId, String requestId, String system, List<ChatMessage> turns, SamplingParams sampling) {
        List<ChatMessage> messages = new ArrayList<>(turns.size() + 1);
        if (system != null) messages.add(new ChatMessage(ChatMessage.Role.SYSTEM, system));
        messages.addAll(turns);
        Completion c = new Completion(requestId);
        metrics.running.incrementAndGet();
        client.submit(RemoteRequest.chat(conversationId, requestId, messages, sampling)).thenAccept(r -> {
            metrics.running.decrementAndGet();
            record(r);
            c.result().complete(toResult(r));
        });
        return c;
    }

    static GenerationResult toResult(RemoteResult r) {
        if (!r.ok()) {
            return new GenerationResult(r.requestId(), new int[0], "", FinishReason.ERROR, 0, 0, KvSource.NONE,
                    new RequestTiming(r.queueMs(), r.ttftMs(), 0, r.e2eMs()), "remote backend: " + r.error());
        }
        FinishReason f = "length".equals(r.finishReason()) ? FinishReason.LENGTH : FinishReason.STOP;
        // "</think>" always: the operator splits the text again, and an answer without reasoning must stay content
        String text = r.reasoning() + "</think>" + r.content();
        return new GenerationResult(r.requestId(), new int[r.completionTokens()], text, f, r.promptTokens(), r.cachedTokens(),
                r.cachedTokens() > 0 ? KvSource.ENGINE : KvSource.NONE,
                new RequestTiming(r.queueMs(), r.ttftMs(), r.meanItlMs(), r.e2eMs()), null);
    }

    private void record(RemoteResult r) {
        metrics.requestsFinished.increment();
        if (!r.ok()) return;
        metrics.promptTokens.add(r.promptTokens());
        metrics.cachedPromptTokens.add(r.cachedTokens());
        metrics.computedPromptTokens.add(Math.max(0, r.promptTokens() - r.cachedTokens()));
        metrics.generationTokens.add(r.completionTokens());
        metrics.prefixCacheQueries.increment();
        if (r.cachedTokens() > 0) metrics.prefixCacheHits(KvSource.ENGINE).increment();
    }

    // ------------------------------------------------------------------ the engine half: metrics only

    @Override
    public Completion submit(GenerationRequest request, TokenListener listener) {
        throw new UnsupportedOperationException("the openai backend takes messages (ChatBackend.submit), not token ids");
    }

    @Override public EngineMetrics metrics() { return metrics; }

    @Override public List<KvChunk> exportKv(String conversationId) { return List.of(); }

    @Override public void importKv(String conversationId, List<KvChunk> chunks) {}

    @Override public void dropConversation(String conversationId) {}

    @Override
    public void close() {
        client.close();
    }
}
