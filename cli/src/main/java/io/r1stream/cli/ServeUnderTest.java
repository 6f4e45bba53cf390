package io.r1stream.cli;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.serve.OpenAiServer;
import io.r1stream.serve.ServeOptions;

/**
 * The OpenAI-compatible server a benchmark talks to: one given by URL, or an {@code r1stream serve} started in
 * this process on a free loopback port over the model (the engine that {@code serve} itself would run).
 */
final class ServeUnderTest implements AutoCloseable {
    private final String baseUrl;
    private final String modelName;
    private final OpenAiServer server; // null when given by URL
    private final Engines.EngineHandle engine;

    private ServeUnderTest(String baseUrl, String modelName, OpenAiServer server, Engines.EngineHandle engine) {
        this.baseUrl = baseUrl;
        this.modelName = modelName;
        this.server = server;
        this.engine = engine;
    }

    /** @param endpoint a base URL ({@code .../v1}) or null to start one; {@code slots} requests run at once */
    static ServeUnderTest open(String endpoint, String endpointModel, EngineOptions options, int slots) {
        String name = endpointModel != null ? endpointModel : options.modelPath().getFileName().toString();
        if (endpoint != null) return new ServeUnderTest(endpoint, name, null, null);
        EngineOptions o = options.withLimits(Math.max(options.maxRunning(), slots), Math.max(options.maxTokensPerStep(), slots));
        Engines.EngineHandle h = Engines.acquire(o);
        OpenAiServer s = OpenAiServer.start(ServeOptions.defaults(name).withPort(0).withMaxQueue(Math.max(64, slots)));
        s.ready(h.model(), h.engine(), o.maxRunning());
        return new ServeUnderTest(s.baseUri().toString(), name, s, h);
    }

    String baseUrl() { return baseUrl; }

    String modelName() { return modelName; }

    @Override
    public void close() {
        if (server != null) server.close();
        if (engine != null) engine.close();
    }
}
