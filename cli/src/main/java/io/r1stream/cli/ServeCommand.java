package io.r1stream.cli;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.serve.OpenAiServer;
import io.r1stream.serve.ServeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code r1stream serve}: the OpenAI-compatible HTTP server over the in-process batching engine. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "OpenAI-compatible server (/v1/chat/completions, /v1/completions, /v1/models, /health, /metrics) over the batching engine.")
public final class ServeCommand implements Callable<Integer> {
    @Mixin EngineArgs engine;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "interface to bind; 0.0.0.0 for all (default: ${DEFAULT-VALUE})") String host;
    @Option(names = "--port", defaultValue = "8000", description = "TCP port; 0 = any free one (default: ${DEFAULT-VALUE})") int port;
    @Option(names = "--served-model-name", description = "the model name clients send and /v1/models lists (default: the model directory's name)") String servedName;
    @Option(names = "--api-key-env", paramLabel = "VAR", description = "require 'Authorization: Bearer <key>' on /v1/*, the key read from this environment variable (default: no key)") String apiKeyEnv;
    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "larger request bodies get 413 (default: ${DEFAULT-VALUE} bytes)") long maxBodyBytes;
    @Option(names = "--max-queue", defaultValue = "64", description = "requests admitted beyond the engine's --max-running slots; past that 429 (default: ${DEFAULT-VALUE})") int maxQueue;
    @Option(names = "--http-threads", defaultValue = "200", description = "HTTP worker threads; each running request holds one (default: ${DEFAULT-VALUE})") int httpThreads;
    @Option(names = "--prefix-entries", defaultValue = "1024", description = "finished sequences remembered for prefix reuse; 0 = off (default: ${DEFAULT-VALUE})") int prefixEntries;

    @Override
    public Integer call() throws Exception {
        String key = null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isEmpty()) throw new IllegalArgumentException("--api-key-env " + apiKeyEnv + ": that environment variable is not set or empty");
        }
        EngineOptions eo = engine.options();
        String name = servedName != null ? servedName : eo.modelPath().getFileName().toString();
        ServeOptions so = new ServeOptions(host, port, name, key, maxBodyBytes, maxQueue, Math.max(httpThreads, eo.maxRunning() + maxQueue + 8), prefixEntries);
        // Listen first (503 "loading" meanwhile), then load: clients and health checks see the state.
        OpenAiServer server = OpenAiServer.start(so);
        System.out.println("r1stream serve: listening on " + server.baseUri() + " (loading " + eo.modelPath() + ")");
        Engines.EngineHandle handle;
        try {
            handle = Engines.acquire(eo);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            handle.close();
        }, "r1stream-serve-shutdown"));
        server.ready(handle.model(), handle.engine(), eo.maxRunning());
        System.out.printf("r1stream serve: ready, model '%s' on %s, base URL %s%s%n", name, handle.model().forwardPass().device(),
                server.baseUri(), key != null ? " (API key required)" : "");
        System.out.flush();
        server.join();
        return 0;
    }
}
