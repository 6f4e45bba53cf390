package io.r1stream.remote;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real HTTP proxy on loopback (Jetty in, JDK HttpClient out) in front of a {@code serve} instance, answering
 * each request according to a script of faults: pass through, 429, 500, stall before answering, or cut the
 * stream after a few events.
 */
final class FaultProxy extends Handler.Abstract implements AutoCloseable {
    enum Fault { PASS, TOO_MANY, SERVER_ERROR, STALL, CUT }

    final ConcurrentLinkedQueue<Fault> script = new ConcurrentLinkedQueue<>();
    volatile Fault whenScriptEmpty = Fault.PASS;
    volatile String retryAfter = null; // header value sent with 429
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final String target; // base URL of the serve instance, .../v1
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Server jetty = new Server();
    private final ServerConnector connector = new ServerConnector(jetty);

    FaultProxy(String target) throws Exception {
        this.target = target;
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        jetty.setHandler(this);
        jetty.start();
    }

    String baseUrl() { return "http://127.0.0.1:" + connector.getLocalPort() + "/v1"; }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        requests.incrementAndGet();
        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        // a request stops counting before the bytes that let the client finish it are written: counting it down
        // only after the last write raced with the client's next request (a false "3 in flight" for a bound of 2)
        java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean(true);
        Runnable done = () -> { if (counted.compareAndSet(true, false)) inFlight.decrementAndGet(); };
        try {
            Fault f = script.poll();
            if (f == null) f = whenScriptEmpty;
            String body = Content.Source.asString(request);
            switch (f) {
                case TOO_MANY -> {
                    if (retryAfter != null) response.getHeaders().put(HttpHeader.RETRY_AFTER, retryAfter);
                    done.run();
                    error(response, callback, 429, "proxy: too many requests");
                }
                case SERVER_ERROR -> {
                    done.run();
                    error(response, callback, 500, "proxy: injected failure");
                }
                case STALL -> {
                    Thread.sleep(3_000);
                    done.run();
                    error(response, callback, 504, "proxy: stalled");
                }
                case PASS, CUT -> forward(request, body, response, callback, f == Fault.CUT, done);
            }
        } finally {
            done.run();
        }
        return true;
    }

    private void forward(Request request, String body, Response response, Callback callback, boolean cut, Runnable done) throws Exception {
        String path = request.getHttpURI().getPath().substring("/v1".length());
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        String id = request.getHeaders().get("X-Request-Id");
        if (id != null) b.header("X-Request-Id", id);
        HttpResponse<Stream<String>> up = client.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        response.setStatus(up.statusCode());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, up.headers().firstValue("content-type").orElse("application/json"));
        int events = 0;
        try (Stream<String> lines = up.body()) {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (line.startsWith("data: [DONE]")) done.run();
                FutureCallback w = new FutureCallback();
                Content.Sink.write(response, false, line + "\n", w);
                w.block();
                if (cut && line.startsWith("data: ") && ++events == 3) {
                    callback.failed(new IOException("proxy: cut the stream")); // aborts the connection mid-response
                    return;
                }
            }
        }
        done.run();
        Content.Sink.write(response, true, "", callback);
    }

    private static void error(Response response, Callback callback, int status, String message) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, "{\"error\":{\"message\":\"" + message + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}", callback);
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
    }
}
