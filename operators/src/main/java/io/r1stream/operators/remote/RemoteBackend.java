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
import io.r1stream.remote.RemoteListener;
import io.r1stream.remote.RemoteRequest;
import io.r1stream.remote.RemoteResult;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The conversation operator's backend for OpenAI-compatible endpoints: turns go to {@link RemoteChatClient}
 * as messages; results come back as {@link GenerationResult}s, so the operator's bookkeeping is the same as
 * for the in-process engine. The engine half of it ({@link InferenceEngine}) only keeps the figures the
 * operator publishes as metrics; it holds no KV (the server owns its cache).
 *
 * <p>What differs from the local engine: the server does not return token ids, so an answer's
 * {@code outputTokens} are {@code usage.completion_tokens} placeholders (the history is rendered from text,
 * not ids); {@code kv_source} is {@code engine} when the server reports cached prompt tokens; cancelling a
 * turn (turn timeout) closes its HTTP exchange, so the server stops generating it.
 */
final class RemoteBackend implements ChatBackend, InferenceEngine {
    private final RemoteChatClient client;
    private final EngineMetrics metrics = new EngineMetrics();

    RemoteBackend(RemoteChatClient client) {
        this.client = client;
    }

    @Override
    public Completion submit(String conversationId, String requestId, String system, List<ChatMessage> turns,
                             SamplingParams sampling, TokenListener listener) {
        List<ChatMessage> messages = new ArrayList<>(turns.size() + 1);
        if (system != null) messages.add(new ChatMessage(ChatMessage.Role.SYSTEM, system));
        messages.addAll(turns);
        return start(RemoteRequest.chat(conversationId, requestId, messages, sampling), new StreamedText(listener, true));
    }

    @Override
    public Completion complete(String conversationId, String requestId, String prompt, SamplingParams sampling,
                               TokenListener listener) {
        return start(RemoteRequest.completion(conversationId, requestId, prompt, sampling), new StreamedText(listener, false));
    }

    /** Sends the request; cancelling the completion (turn timeout) closes its HTTP exchange. */
    private Completion start(RemoteRequest request, StreamedText text) {
        Completion c = new Completion(request.requestId());
        metrics.running.incrementAndGet();
        CompletableFuture<RemoteResult> call = client.submit(request, text);
        call.whenComplete((r, e) -> metrics.running.decrementAndGet());
        call.thenAccept(r -> {
            record(r);
            text.finish();
            c.result().complete(toResult(r, request.isChat()));
        });
        c.onCancel(() -> call.cancel(true));
        return c;
    }

    /**
     * The result as the local engine would give it: for chat {@code reasoning</think>content} ({@code </think>}
     * always: the operator splits the text again, and an answer without reasoning must stay content); for a
     * completion the text as it is.
     */
    static GenerationResult toResult(RemoteResult r, boolean chat) {
        if (!r.ok()) {
            return new GenerationResult(r.requestId(), new int[0], "", FinishReason.ERROR, 0, 0, KvSource.NONE,
                    new RequestTiming(r.queueMs(), r.ttftMs(), 0, r.e2eMs()), "remote backend: " + r.error());
        }
        FinishReason f = "length".equals(r.finishReason()) ? FinishReason.LENGTH : FinishReason.STOP;
        String text = chat ? r.reasoning() + "</think>" + r.content() : r.reasoning() + r.content();
        return new GenerationResult(r.requestId(), new int[r.completionTokens()], text, f, r.promptTokens(), r.cachedTokens(),
                r.cachedTokens() > 0 ? KvSource.ENGINE : KvSource.NONE,
                new RequestTiming(r.queueMs(), r.ttftMs(), r.meanItlMs(), r.e2eMs()), null);
    }

    static GenerationResult toResult(RemoteResult r) { return toResult(r, true); }

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

    /**
     * The server's streamed pieces as the text the local engine streams ({@code reasoning</think>content} for
     * chat), for the operator's deltas. After a retry that had streamed text, the new attempt's text is passed on
     * only past what was already sent (with the same seed a deterministic server repeats itself; the result
     * record is authoritative either way).
     */
    private static final class StreamedText implements RemoteListener {
        private final TokenListener listener;
        private final boolean chat;
        private final StringBuilder sent = new StringBuilder();   // text given to the listener, all attempts
        private final StringBuilder attempt = new StringBuilder(); // this attempt's text
        private boolean inContent;

        StreamedText(TokenListener listener, boolean chat) {
            this.listener = listener;
            this.chat = chat;
        }

        @Override
        public synchronized void onDelta(String reasoning, String content) {
            StringBuilder piece = new StringBuilder(reasoning);
            if (!content.isEmpty()) {
                if (chat && !inContent) piece.append("</think>");
                inContent = true;
                piece.append(content);
            }
            attempt.append(piece);
            if (attempt.length() <= sent.length()) return;
            String fresh = attempt.substring(sent.length());
            sent.append(fresh);
            listener.onToken(-1, fresh);
        }

        @Override
        public synchronized void onRestart(int attemptNumber) {
            attempt.setLength(0);
            inContent = false;
        }

        /** An answer with reasoning only still closes it, so the deltas split as the result does. */
        synchronized void finish() {
            if (chat && !inContent && sent.length() > 0) listener.onToken(-1, "</think>");
        }
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
