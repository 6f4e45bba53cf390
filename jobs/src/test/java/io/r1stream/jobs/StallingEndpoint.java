package io.r1stream.jobs;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on loopback that answers every request with an SSE stream that never ends: a comment line
 * every 100 ms (so no idle timeout fires), until the client closes the connection, which it counts. What a server
 * stuck mid-generation looks like to the remote backend.
 */
final class StallingEndpoint implements AutoCloseable {
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger disconnects = new AtomicInteger();
    private final HttpServer server;

    StallingEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                while (true) {
                    out.write(": still thinking\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException gone) {
                disconnects.incrementAndGet();
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    String baseUrl() { return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1"; }

    @Override
    public void close() {
        server.stop(0);
    }
}
