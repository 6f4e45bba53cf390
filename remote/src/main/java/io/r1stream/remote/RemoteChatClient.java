package io.r1stream.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams chat and completion requests to OpenAI-compatible endpoints (the JDK {@link HttpClient}, SSE), with
 * what a streaming job needs from a remote model server:
 * <ul>
 *   <li>affinity: a conversation goes to its replica on a consistent-hash ring, so the replica's prefix cache
 *       keeps its history warm; an unhealthy replica's conversations move to the next replica on the ring;</li>
 *   <li>timeouts (connect, first byte, idle inside the stream, total), retries with exponential backoff and
 *       jitter on connect errors, timeouts, 429 and 5xx, honouring Retry-After;</li>
 *   <li>a bounded number in flight per endpoint (more wait: backpressure, not spill-over) and a circuit
 *       breaker per replica;</li>
 *   <li>every request ends in exactly one {@link RemoteResult}: an answer, or an error with the reason.</li>
 * </ul>
 * Each request runs on a thread of its own (blocking on the stream); the caller bounds how many it submits.
 *
 * <pre>{@code
 * try (RemoteChatClient c = new RemoteChatClient(RemoteOptions.defaults(List.of("http://127.0.0.1:8000/v1"), "r1"))) {
 *     RemoteResult r = c.submit(RemoteRequest.chat("conv-1", "req-1", List.of(ChatMessage.user("hi")),
 *             SamplingParams.greedy(64))).join();
 * }
 * }</pre>
 */
public final class RemoteChatClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteChatClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object END = new Object();

    private final RemoteOptions options;
    private final String apiKey;
    private final Map<String, Replica> replicas = new LinkedHashMap<>();
    private final EndpointRing<Replica> ring;
    private final Backoff backoff;
    private final HttpClient http;
    private final ExecutorService requests;

    /** Reads the API key from {@code options.apiKeyEnv()} (where the client is opened, e.g. the TaskManager). */
    public RemoteChatClient(RemoteOptions options) {
        this(options, apiKeyFromEnv(options.apiKeyEnv()));
    }

    public RemoteChatClient(RemoteOptions options, String apiKey) {
        this.options = options;
        this.apiKey = apiKey;
        for (String e : options.endpoints()) {
            replicas.put(e, new Replica(e, options.maxInFlightPerEndpoint(), new CircuitBreaker(options.breakerFailures(), options.breakerOpenMs())));
        }
        this.ring = new EndpointRing<>(replicas);
        this.backoff = new Backoff(options.backoffBaseMs(), options.backoffMaxMs());
        AtomicInteger n = new AtomicInteger();
        this.requests = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "r1stream-remote-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1) // vLLM/SGLang/serve speak HTTP/1.1; no h2c upgrade
                .connectTimeout(Duration.ofMillis(options.connectTimeoutMs())).executor(requests).build();
    }

    private static String apiKeyFromEnv(String env) {
        if (env == null) return null;
        String k = System.getenv(env);
        if (k == null || k.isEmpty()) throw new IllegalArgumentException("--api-key-env " + env + ": that environment variable is not set or empty");
        return k;
    }

    public CompletableFuture<RemoteResult> submit(RemoteRequest request) {
        return submit(request, RemoteListener.NONE);
    }

    /**
     * Queues the request; the future always completes normally (failures are results with an error). Cancelling
     * the future ({@code cancel(true)}, e.g. on the operator's turn timeout) aborts the request: its HTTP exchange
     * is closed (the server sees the disconnect and frees the slot), a backoff wait ends, no retry follows.
     */
    public CompletableFuture<RemoteResult> submit(RemoteRequest request, RemoteListener listener) {
        long t0 = System.nanoTime();
        CompletableFuture<RemoteResult> f = new CompletableFuture<>();
        Worker worker = new Worker();
        f.whenComplete((r, e) -> { if (f.isCancelled()) worker.interrupt(); });
        requests.execute(() -> {
            if (!worker.start()) return; // cancelled before it ran
            RemoteResult r;
            try {
                r = run(request, listener, t0);
            } catch (InterruptedException cancelled) {
                r = failed(request, null, t0, 0, "cancelled");
            } catch (Throwable e) { // never lose a turn, whatever broke
                LOG.error("remote request {} failed unexpectedly", request.requestId(), e);
                r = failed(request, null, t0, 0, "unexpected failure: " + e);
            } finally {
                worker.end();
            }
            f.complete(r); // a no-op when cancelled
        });
        return f;
    }

    /** The pool thread running one request, so that a cancel interrupts that request and never the next one. */
    private static final class Worker {
        private Thread thread;
        private boolean cancelled;

        synchronized boolean start() {
            if (cancelled) return false;
            thread = Thread.currentThread();
            return true;
        }

        synchronized void interrupt() {
            cancelled = true;
            if (thread != null) thread.interrupt();
        }

        synchronized void end() {
            thread = null;
            Thread.interrupted(); // a cancel that raced the end must not reach the pool's next task
        }
    }

    /** The replica a key goes to now (its home one, or the next healthy one on the ring). */
    public String endpointFor(String affinityKey) {
        Replica r = pick(affinityKey, Set.of(), nowMs());
        return r == null ? null : r.baseUrl;
    }

    /** Per endpoint: attempts, successes, failures and breaker state (for metrics and tests). */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        long now = nowMs();
        replicas.forEach((k, r) -> out.put(k, "attempts=" + r.attempts.sum() + " ok=" + r.successes.sum() + " failed=" + r.failures.sum()
                + " breaker=" + r.breaker.state(now) + " free=" + r.slots.availablePermits()));
        return out;
    }

    @Override
    public void close() {
        requests.shutdownNow();
    }

    // ------------------------------------------------------------------ the retry loop

    private RemoteResult run(RemoteRequest request, RemoteListener listener, long t0) throws InterruptedException {
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(options.totalTimeoutMs());
        Set<Replica> unreachable = new HashSet<>(); // refused this request: skip while another is left
        String lastError = "no attempt made";
        Replica last = null;
        int attempts = 0;
        boolean streamedSomething = false;
        for (int attempt = 1; attempt <= options.maxAttempts(); attempt++) {
            Replica r = pick(request.affinityKey(), unreachable, nowMs());
            Attempt outcome;
            if (r == null || !r.breaker.tryAcquire(nowMs())) {
                outcome = Attempt.of(Attempt.Kind.FAILED, "every endpoint's circuit breaker is open", -1);
            } else {
                long waitNs = deadline - System.nanoTime();
                if (waitNs <= 0 || !r.slots.tryAcquire(waitNs, TimeUnit.NANOSECONDS)) {
                    r.breaker.onNeutral();
                    return failed(request, r, t0, attempts, "no free slot on " + r + " within the total timeout of "
                            + options.totalTimeoutMs() + " ms (raise --endpoint-max-in-flight or add replicas)");
                }
                last = r;
                attempts++;
                r.attempts.increment();
                if (streamedSomething) listener.onRestart(attempt);
                boolean[] streamed = {false};
                try {
                    outcome = attempt(r, request, listener, t0, deadline, attempts, streamed);
                } finally {
                    r.slots.release();
                }
                streamedSomething |= streamed[0];
                switch (outcome.kind()) {
                    case OK -> { r.breaker.onSuccess(); r.successes.increment(); }
                    case FAILED, UNREACHABLE -> { r.breaker.onFailure(nowMs()); r.failures.increment(); }
                    case OVERLOADED, REJECTED -> r.breaker.onNeutral();
                }
                if (outcome.kind() == Attempt.Kind.UNREACHABLE) unreachable.add(r);
            }
            if (outcome.kind() == Attempt.Kind.OK) return outcome.result();
            lastError = (r == null ? "" : r + ": ") + outcome.error();
            if (outcome.kind() == Attempt.Kind.REJECTED) return failed(request, r, t0, attempts, lastError);
            if (attempt == options.maxAttempts()) break;
            boolean elsewhere = outcome.kind() == Attempt.Kind.UNREACHABLE && pick(request.affinityKey(), unreachable, nowMs()) != null;
            long delayMs = elsewhere ? 0 : backoff.delayMs(attempt, outcome.retryAfterMs());
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (delayMs >= leftMs) {
                lastError += " (no time left for another attempt within " + options.totalTimeoutMs() + " ms)";
                break;
            }
            LOG.info("request {} attempt {} on {} failed ({}); retrying in {} ms", request.requestId(), attempt, r, outcome.error(), delayMs);
            if (delayMs > 0) Thread.sleep(delayMs);
        }
        return failed(request, last, t0, attempts, "gave up after " + attempts + " attempt(s): " + lastError);
    }

    /**
     * The key's replicas in ring order, the first that is reachable and whose breaker lets a request through;
     * when every breaker is open, null; when all refused this request, its home replica again.
     */
    private Replica pick(String key, Set<Replica> unreachable, long nowMs) {
        List<Replica> order = ring.order(key);
        for (Replica r : order) if (!unreachable.contains(r) && r.breaker.isAvailable(nowMs)) return r;
        for (Replica r : order) if (r.breaker.isAvailable(nowMs)) return r;
        return null;
    }

    // ------------------------------------------------------------------ one HTTP attempt

    private Attempt attempt(Replica replica, RemoteRequest request, RemoteListener listener, long t0, long deadline,
                            int attempts, boolean[] streamed) throws InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(request.isChat() ? replica.chat : replica.completions)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .header("X-Request-Id", request.requestId())
                .POST(HttpRequest.BodyPublishers.ofString(body(request), StandardCharsets.UTF_8));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        LinkedBlockingQueue<Object> lines = new LinkedBlockingQueue<>(); // String, END or a Throwable
        CompletableFuture<HttpResponse.ResponseInfo> headers = new CompletableFuture<>();
        long sentNs = System.nanoTime();
        CompletableFuture<HttpResponse<String>> exchange = http.sendAsync(b.build(), info -> {
            headers.complete(info);
            return info.statusCode() == 200
                    ? HttpResponse.BodySubscribers.fromLineSubscriber(new LineSink(lines), s -> "", StandardCharsets.UTF_8, null)
                    : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
        });
        try {
            HttpResponse.ResponseInfo info;
            try {
                CompletableFuture.anyOf(headers, exchange).get(Math.min(options.firstByteTimeoutMs(), remainingMs(deadline)), TimeUnit.MILLISECONDS);
                if (!headers.isDone()) exchange.join(); // failed before any response: rethrows the cause
                info = headers.join();
            } catch (TimeoutException e) {
                return Attempt.of(Attempt.Kind.FAILED, "no response within " + options.firstByteTimeoutMs() + " ms", -1);
            } catch (ExecutionException | CompletionException e) {
                return transportFailure(e.getCause() == null ? e : e.getCause());
            }
            int status = info.statusCode();
            if (status != 200) return httpFailure(status, info, exchange, deadline);
            return stream(replica, request, listener, lines, t0, sentNs, deadline, attempts, streamed);
        } finally {
            exchange.cancel(true); // a no-op when complete; aborts a stalled or abandoned exchange
        }
    }

    private Attempt stream(Replica replica, RemoteRequest request, RemoteListener listener, LinkedBlockingQueue<Object> lines,
                           long t0, long sentNs, long deadline, int attempts, boolean[] streamed) throws InterruptedException {
        StreamAssembler a = new StreamAssembler();
        long firstText = 0;
        long lastText = 0;
        while (true) {
            long waitMs = Math.min(options.idleTimeoutMs(), remainingMs(deadline));
            Object x = lines.poll(waitMs, TimeUnit.MILLISECONDS);
            if (x == null) {
                return Attempt.of(Attempt.Kind.FAILED, remainingMs(deadline) <= 0 ? "total timeout of " + options.totalTimeoutMs() + " ms reached mid-stream"
                        : "the stream stalled: nothing for " + options.idleTimeoutMs() + " ms", -1);
            }
            if (x == END) break;
            if (x instanceof Throwable t) return Attempt.of(Attempt.Kind.FAILED, "the stream broke: " + t, -1);
            String line = (String) x;
            if (!line.startsWith("data:")) continue; // comments, event names, blank separators
            String data = line.substring(5).trim();
            boolean text;
            try {
                text = a.accept(data);
            } catch (IllegalStateException e) {
                return Attempt.of(Attempt.Kind.FAILED, e.getMessage(), -1);
            }
            if (text) {
                long now = System.nanoTime();
                if (firstText == 0) firstText = now;
                lastText = now;
                streamed[0] = true;
                listener.onDelta(a.lastReasoningDelta(), a.lastContentDelta());
            }
            if (data.equals("[DONE]")) break;
        }
        if (a.streamError() != null) return Attempt.of(Attempt.Kind.FAILED, "the server failed mid-stream: " + a.streamError(), -1);
        if (!a.finished()) return Attempt.of(Attempt.Kind.FAILED, "the stream ended before its finish_reason / [DONE]", -1);
        long end = System.nanoTime();
        ReasoningSplit s = a.split(request.isChat());
        if (firstText == 0) firstText = end;
        int chunks = a.textChunks();
        double itl = chunks > 1 ? (lastText - firstText) / 1e6 / (chunks - 1) : 0;
        return Attempt.ok(new RemoteResult(request.requestId(), replica.baseUrl, s.reasoning(), s.content(), a.finishReason(),
                a.promptTokens(), a.completionTokens(), a.cachedTokens(), (sentNs - t0) / 1e6, (firstText - t0) / 1e6, itl,
                (end - t0) / 1e6, attempts, null));
    }

    private Attempt httpFailure(int status, HttpResponse.ResponseInfo info, CompletableFuture<HttpResponse<String>> exchange, long deadline) {
        String body;
        try {
            body = exchange.get(Math.min(options.idleTimeoutMs(), Math.max(1, remainingMs(deadline))), TimeUnit.MILLISECONDS).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // cancelled: the retry loop's next wait ends it
            body = "";
        } catch (Exception e) {
            body = "";
        }
        String message = "HTTP " + status + ": " + errorMessage(body);
        long retryAfter = Backoff.parseRetryAfter(info.headers().firstValue("retry-after").orElse(null));
        if (status == 429) return Attempt.of(Attempt.Kind.OVERLOADED, message, retryAfter);
        if (status >= 500 || status == 408) return Attempt.of(Attempt.Kind.FAILED, message, retryAfter);
        return Attempt.of(Attempt.Kind.REJECTED, message, -1);
    }

    private static Attempt transportFailure(Throwable t) {
        if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException || t instanceof UnresolvedAddressException
                || t.getCause() instanceof ConnectException) {
            return Attempt.of(Attempt.Kind.UNREACHABLE, "cannot connect: " + t, -1);
        }
        if (t instanceof IOException) return Attempt.of(Attempt.Kind.FAILED, "connection failed: " + t, -1);
        return Attempt.of(Attempt.Kind.FAILED, String.valueOf(t), -1);
    }

    /** The OpenAI error shape's message when the body has one, else the body's start. */
    private static String errorMessage(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.path("error").has("message")) return n.path("error").path("message").asText();
            if (n != null && n.has("detail")) return n.get("detail").toString(); // FastAPI's shape (some vLLM paths)
        } catch (IOException | RuntimeException ignored) {
            // not JSON: show it as text
        }
        return StreamAssembler.abbreviate(body);
    }

    // ------------------------------------------------------------------ the request body

    /** The OpenAI request body: messages (chat) or prompt (completion), sampling, stream with usage. */
    String body(RemoteRequest r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model", options.model());
        if (r.isChat()) {
            ArrayNode messages = n.putArray("messages");
            for (ChatMessage m : r.messages()) {
                ObjectNode o = messages.addObject();
                o.put("role", m.role().name().toLowerCase());
                // Earlier reasoning is not sent back (the R1 template drops it; the DeepSeek API rejects it).
                o.put("content", m.role() == ChatMessage.Role.ASSISTANT ? withoutReasoning(m.content()) : m.content());
            }
        } else {
            n.put("prompt", r.prompt());
        }
        SamplingParams p = r.sampling();
        n.put("max_tokens", p.maxTokens());
        n.put("temperature", p.temperature());
        n.put("top_p", p.topP());
        if (p.topK() > 0) n.put("top_k", p.topK()); // vLLM, SGLang, serve; OpenAI itself has no top_k
        if (p.seed() != null) n.put("seed", p.seed());
        if (!p.stop().isEmpty()) {
            ArrayNode stop = n.putArray("stop");
            p.stop().forEach(stop::add);
        }
        n.put("stream", true);
        n.putObject("stream_options").put("include_usage", true);
        return n.toString();
    }

    static String withoutReasoning(String content) {
        int end = content.lastIndexOf("</think>");
        return end < 0 ? content : content.substring(end + "</think>".length());
    }

    private RemoteResult failed(RemoteRequest request, Replica r, long t0, int attempts, String error) {
        double ms = (System.nanoTime() - t0) / 1e6;
        return new RemoteResult(request.requestId(), r == null ? null : r.baseUrl, "", "", "error", 0, 0, 0, ms, ms, 0, ms, attempts, error);
    }

    private static long remainingMs(long deadlineNs) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()));
    }

    private static long nowMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    /** Hands the response's lines to the attempt thread (which applies the idle timeout while it waits). */
    private record LineSink(LinkedBlockingQueue<Object> lines) implements Flow.Subscriber<String> {
        @Override public void onSubscribe(Flow.Subscription s) { s.request(Long.MAX_VALUE); }
        @Override public void onNext(String line) { lines.add(line); }
        @Override public void onError(Throwable t) { lines.add(t); }
        @Override public void onComplete() { lines.add(END); }
    }
}
