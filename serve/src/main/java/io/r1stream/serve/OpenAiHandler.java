package io.r1stream.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.LoadedModel;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Routes the OpenAI endpoints, checks the API key, reads bounded bodies, admits generation requests under the
 * queue limit, and answers every failure in the OpenAI error shape. Until {@link #ready} is called the model
 * is loading: {@code /health} and {@code /v1/*} answer 503.
 */
final class OpenAiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiHandler.class);

    private final ServeOptions options;
    private final ApiKeyCheck apiKey;
    private final ServeMetrics metrics = new ServeMetrics();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final java.util.Set<GenerationCall> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final long created = System.currentTimeMillis() / 1000;
    private volatile Backend backend; // null while loading

    /** What the handler needs once the model is loaded. */
    private record Backend(LoadedModel model, InferenceEngine engine, RequestParser parser, PrefixRouter router, int admitLimit) {}

    OpenAiHandler(ServeOptions options) {
        this.options = options;
        this.apiKey = new ApiKeyCheck(options.apiKey());
    }

    void ready(LoadedModel model, InferenceEngine engine, int engineSlots) {
        backend = new Backend(model, engine, new RequestParser(model, options.servedName()),
                new PrefixRouter(options.prefixEntries(), engine::dropConversation), engineSlots + options.maxQueue());
    }

    boolean isReady() { return backend != null; }

    int inFlight() { return inFlight.get(); }

    /** Shutting down: every running request is cancelled so its thread ends (clients see a cut stream). */
    void cancelAll() {
        running.forEach(GenerationCall::cancel);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        try {
            switch (path) {
                case "/health" -> {
                    requireMethod(method, "GET", path);
                    if (backend == null) throw ApiError.loading();
                    respond(response, callback, 200, "application/json", "{\"status\":\"ok\"}");
                }
                case "/metrics" -> {
                    requireMethod(method, "GET", path);
                    Backend b = backend;
                    respond(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8",
                            metrics.render(b == null ? null : b.engine().metrics(), b != null));
                }
                case "/v1/models" -> {
                    requireMethod(method, "GET", path);
                    Backend b = authorizedBackend(request);
                    respond(response, callback, 200, "application/json",
                            ResponseBodies.models(options.servedName(), b.model().config().maxPositionEmbeddings(), created));
                }
                case "/v1/chat/completions", "/v1/completions" -> {
                    requireMethod(method, "POST", path);
                    Backend b = authorizedBackend(request);
                    JsonNode body = readJson(request);
                    String id = requestId(request);
                    ApiRequest req = path.equals("/v1/completions") ? b.parser().completion(body, id) : b.parser().chat(body, id);
                    generate(b, req, request, response, callback);
                }
                default -> throw ApiError.notFound("no route " + method + " " + path
                        + "; serve has /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics", "not_found");
            }
        } catch (ApiError e) {
            fail(response, callback, e);
        } catch (IllegalArgumentException e) { // SamplingParams and the template validate too
            fail(response, callback, ApiError.badRequest(null, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.error("request {} {} failed", method, path, e);
            fail(response, callback, ApiError.internal(String.valueOf(e)));
        }
        return true;
    }

    private void generate(Backend b, ApiRequest req, Request request, Response response, Callback callback) {
        if (inFlight.incrementAndGet() > b.admitLimit()) {
            inFlight.decrementAndGet();
            throw ApiError.queueFull(b.admitLimit());
        }
        GenerationCall call = new GenerationCall(b.engine(), b.router(), metrics, req);
        running.add(call);
        try {
            call.run(request, response, callback);
        } finally {
            running.remove(call);
            inFlight.decrementAndGet();
        }
    }

    private Backend authorizedBackend(Request request) {
        if (!apiKey.accepts(request.getHeaders().get(HttpHeader.AUTHORIZATION))) throw ApiError.unauthorized();
        Backend b = backend;
        if (b == null) throw ApiError.loading();
        return b;
    }

    private JsonNode readJson(Request request) {
        long declared = request.getLength();
        if (declared > options.maxBodyBytes()) throw ApiError.tooLarge(options.maxBodyBytes());
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 1, options.maxBodyBytes() + 1));
        } catch (IOException e) {
            throw ApiError.badRequest(null, "cannot read the request body: " + e.getMessage());
        }
        if (bytes.length > options.maxBodyBytes()) throw ApiError.tooLarge(options.maxBodyBytes());
        if (bytes.length == 0) throw ApiError.badRequest(null, "the request body is empty; send a JSON object");
        try {
            return ResponseBodies.JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.badRequest(null, "cannot read the request body: " + e.getMessage());
        }
    }

    /** The client's {@code X-Request-Id} (the chat job sends its request id), else a fresh one. */
    private static String requestId(Request request) {
        String id = request.getHeaders().get("X-Request-Id");
        return id != null && !id.isBlank() && id.length() <= 200 ? id : UUID.randomUUID().toString().replace("-", "");
    }

    private static void requireMethod(String method, String expected, String path) {
        if (!method.equals(expected)) throw ApiError.methodNotAllowed(method, path);
    }

    private void respond(Response response, Callback callback, int status, String contentType, String body) {
        metrics.response(status);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        Content.Sink.write(response, true, body, callback);
    }

    private void fail(Response response, Callback callback, ApiError e) {
        if (response.isCommitted()) { // mid-stream: nothing sensible left to send
            callback.failed(e);
            return;
        }
        if (e.retryAfterSeconds() > 0) response.getHeaders().put(HttpHeader.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()));
        // an error can come before the body was read (401, 404, 429, 503...); Jetty then closes the connection
        // after the response, and a client that had already reused it for its next request saw no bytes (a flaky
        // test showed it): say so, so that no client reuses it
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        respond(response, callback, e.status(), "application/json", ResponseBodies.error(e));
    }
}
