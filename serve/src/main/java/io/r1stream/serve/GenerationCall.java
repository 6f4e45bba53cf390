package io.r1stream.serve;

import io.r1stream.engine.Completion;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.StreamingReasoningSplitter;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One generation request served over HTTP, on the Jetty thread that handles it. The engine streams token
 * deltas from its loop thread into a queue (never blocking that thread); this thread drains the queue,
 * holds back possible stop-string prefixes, splits reasoning from content, and writes SSE events, all
 * available deltas in one write. A failed write (the client went away) or a failed request cancels the
 * engine request, which frees its batch slot at the next step.
 */
final class GenerationCall {
    /** Silence in a stream longer than this gets an SSE comment line, ms. */
    static final long KEEP_ALIVE_MS = 2_000;
    private final InferenceEngine engine;
    private final PrefixRouter router;
    private final ServeMetrics metrics;
    private final ApiRequest req;
    private final ResponseBodies bodies;
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>(); // String deltas, then the GenerationResult
    private volatile Completion completion;

    GenerationCall(InferenceEngine engine, PrefixRouter router, ServeMetrics metrics, ApiRequest req) {
        this.engine = engine;
        this.router = router;
        this.metrics = metrics;
        this.req = req;
        this.bodies = new ResponseBodies(req);
    }

    /** Cancels the engine request (server shutdown); the stream then ends with an error event. */
    void cancel() {
        Completion c = completion;
        if (c != null) c.cancel();
    }

    /** Runs the request and completes {@code callback} once the response is written (or has failed). */
    void run(Request request, Response response, Callback callback) {
        PrefixRouter.Lease lease = router.acquire(req.promptTokens());
        long[] lastToken = {0}; // ns; touched only on the engine thread
        Completion completion = engine.submit(new GenerationRequest(req.requestId(), lease.conversationId(), req.promptTokens(), req.sampling()),
                (token, delta) -> {
                    long now = System.nanoTime();
                    if (lastToken[0] != 0) metrics.itl.observeMs((now - lastToken[0]) / 1e6);
                    lastToken[0] = now;
                    if (req.stream()) events.add(delta);
                });
        this.completion = completion;
        request.addFailureListener(t -> completion.cancel());
        completion.result().whenComplete((r, e) -> events.add(r != null ? r : failure(e)));
        GenerationResult result = null;
        try {
            if (req.stream()) {
                result = stream(response, completion, callback);
            } else {
                result = completion.result().join();
                respondWhole(result, response, callback);
            }
        } finally {
            if (result == null) result = completion.result().join();
            int[] cached = concat(req.promptTokens(), result.outputTokens());
            router.release(lease, cached);
            if (result.finishReason() == FinishReason.CANCELLED) metrics.cancelled.increment();
            else if (result.finishReason() != FinishReason.ERROR) metrics.finished(result.timing());
        }
    }

    private void respondWhole(GenerationResult r, Response response, Callback callback) {
        if (r.finishReason() == FinishReason.ERROR) throw ApiError.internal("generation failed: " + r.error());
        String body;
        if (req.kind() == ApiRequest.Kind.CHAT) {
            body = bodies.chatCompletion(r, wholeSplit(r.text()));
        } else {
            body = bodies.textCompletion(r, req.echo() ? req.promptText() + r.text() : r.text());
        }
        metrics.response(200);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body, callback);
    }

    /** Writes the SSE stream; returns the result, or null when the client went away (request cancelled). */
    private GenerationResult stream(Response response, Completion completion, Callback callback) {
        boolean chat = req.kind() == ApiRequest.Kind.CHAT;
        StopTextHoldBack holdBack = new StopTextHoldBack(req.sampling().stop());
        StreamingReasoningSplitter splitter = new StreamingReasoningSplitter();
        metrics.response(200);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        StringBuilder out = new StringBuilder();
        if (chat) event(out, bodies.chatRoleChunk(req.includeUsage()));
        else if (req.echo()) event(out, bodies.textChunk(req.promptText(), null, req.includeUsage()));
        List<Object> batch = new ArrayList<>();
        try {
            if (!out.isEmpty()) send(response, out, false);
            while (true) {
                batch.clear();
                Object first = events.poll(KEEP_ALIVE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) { // queued or slow: an SSE comment keeps proxies and idle timers content, and finds dead clients
                    out.append(": keep-alive\n\n");
                    send(response, out, false);
                    continue;
                }
                batch.add(first);
                events.drainTo(batch);
                GenerationResult done = null;
                StringBuilder text = new StringBuilder();
                for (Object ev : batch) {
                    if (ev instanceof String delta) text.append(holdBack.accept(delta));
                    else done = (GenerationResult) ev;
                }
                if (done != null) {
                    if (done.finishReason() == FinishReason.ERROR || done.finishReason() == FinishReason.CANCELLED) {
                        text.setLength(0);
                        event(out, ResponseBodies.error(ApiError.internal("generation " + done.finishReason().wireName() + ": " + done.error())));
                    } else {
                        text.append(holdBack.finish(done.text()));
                        piece(out, chat, splitter, text.toString(), true, done.finishReason());
                        if (req.includeUsage()) event(out, bodies.usageChunk(done, chat));
                    }
                    out.append("data: [DONE]\n\n");
                    Content.Sink.write(response, true, out.toString(), callback);
                    return done;
                }
                piece(out, chat, splitter, text.toString(), false, null);
                if (!out.isEmpty()) send(response, out, false);
            }
        } catch (IOException | RuntimeException e) {
            completion.cancel(); // the client went away: free the batch slot
            callback.failed(e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            completion.cancel();
            callback.failed(e);
            return null;
        }
    }

    /** Appends the SSE event(s) for a piece of released text (and, when {@code last}, the finish chunk). */
    private void piece(StringBuilder out, boolean chat, StreamingReasoningSplitter splitter, String text, boolean last, FinishReason finish) {
        if (chat) {
            ReasoningSplit s = splitter.accept(text);
            String reasoning = s.reasoning();
            String content = s.content();
            if (last) {
                ReasoningSplit rest = splitter.finish();
                reasoning += rest.reasoning();
                content += rest.content();
            }
            if (!reasoning.isEmpty() || !content.isEmpty()) event(out, bodies.chatDeltaChunk(reasoning, content, null, req.includeUsage()));
            if (last) event(out, bodies.chatDeltaChunk("", "", finish, req.includeUsage()));
        } else {
            if (!text.isEmpty() || last) event(out, bodies.textChunk(text, finish, req.includeUsage()));
        }
    }

    /**
     * The split of a whole answer, by the same rules as the stream so both agree to the character: R1 output
     * starts inside the reasoning (the generation prompt opened it), a leading {@code <think>} is dropped, the
     * first {@code </think>} ends it. ({@code ReasoningSplitter} also skips to a {@code <think>} in the middle,
     * as vLLM's non-streaming parser does; a stream cannot take back what it sent.)
     */
    static ReasoningSplit wholeSplit(String text) {
        StreamingReasoningSplitter s = new StreamingReasoningSplitter();
        ReasoningSplit a = s.accept(text);
        ReasoningSplit b = s.finish();
        return new ReasoningSplit(a.reasoning() + b.reasoning(), a.content() + b.content(), b.reasoningEnded());
    }

    private static void event(StringBuilder out, String json) {
        out.append("data: ").append(json).append("\n\n");
    }

    private static void send(Response response, StringBuilder out, boolean last) throws IOException {
        FutureCallback written = new FutureCallback();
        Content.Sink.write(response, last, out.toString(), written);
        out.setLength(0);
        written.block();
    }

    private GenerationResult failure(Throwable e) {
        return new GenerationResult(req.requestId(), new int[0], "", FinishReason.ERROR, req.promptTokens().length, 0,
                io.r1stream.engine.KvSource.NONE, new io.r1stream.engine.RequestTiming(0, 0, 0, 0), String.valueOf(e));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
