package io.r1stream.serve;

import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.LoadedModel;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.net.URI;

/**
 * {@code r1stream serve}: an OpenAI-compatible HTTP server (Jetty 12 core) over a shared engine. It listens
 * at once and answers 503 until {@link #ready} hands it the loaded model, so load balancers and the chat
 * job's remote backend see "loading", not "refused". No model logic here: prompts are rendered with the
 * model's chat template and submitted to {@link InferenceEngine#submit}.
 *
 * <pre>{@code
 * try (OpenAiServer server = OpenAiServer.start(ServeOptions.defaults("r1"));
 *      Engines.EngineHandle h = Engines.acquire(engineOptions)) {
 *     server.ready(h.model(), h.engine(), engineOptions.maxRunning());
 *     server.join();
 * }
 * }</pre>
 */
public final class OpenAiServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OpenAiServer.class);
    private final Server jetty;
    private final ServerConnector connector;
    private final OpenAiHandler handler;

    private OpenAiServer(ServeOptions options) {
        QueuedThreadPool pool = new QueuedThreadPool(options.httpThreads(), 4);
        pool.setName("r1stream-http");
        pool.setDaemon(true);
        this.jetty = new Server(pool);
        this.connector = new ServerConnector(jetty);
        connector.setHost(options.host());
        connector.setPort(options.port());
        connector.setIdleTimeout(10 * 60_000L); // ms; long non-streamed generations stay silent meanwhile
        jetty.addConnector(connector);
        this.handler = new OpenAiHandler(options);
        jetty.setHandler(handler);
        jetty.setStopTimeout(2_000);
    }

    /** Binds and starts listening (503 until {@link #ready}). */
    public static OpenAiServer start(ServeOptions options) {
        OpenAiServer s = new OpenAiServer(options);
        try {
            s.jetty.start();
        } catch (Exception e) {
            try { s.jetty.stop(); } catch (Exception ignored) { /* best effort */ }
            throw new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage()
                    + " (is the port in use? pick another with --port)", e);
        }
        return s;
    }

    /**
     * The model is loaded: start answering.
     *
     * @param engineSlots the engine's batch size (max running); with {@code --max-queue} it bounds admission
     */
    public void ready(LoadedModel model, InferenceEngine engine, int engineSlots) {
        handler.ready(model, engine, engineSlots);
    }

    public boolean isReady() { return handler.isReady(); }

    /** Generation requests being served now (running or queued). */
    public int inFlight() { return handler.inFlight(); }

    public int port() { return connector.getLocalPort(); }

    /** {@code http://host:port/v1}: what OpenAI clients take as base URL. */
    public URI baseUri() {
        String host = connector.getHost() == null || connector.getHost().equals("0.0.0.0") ? "127.0.0.1" : connector.getHost();
        return URI.create("http://" + host + ":" + port() + "/v1");
    }

    public void join() throws InterruptedException { jetty.join(); }

    @Override
    public void close() {
        handler.cancelAll(); // the engine is shared and stays; its requests from here end now
        try {
            jetty.stop();
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("HTTP server stopped with requests still finishing: {}", e.toString());
        } catch (Exception e) {
            throw new IllegalStateException("stopping the HTTP server failed", e);
        }
    }
}
