package io.r1stream.serve;

/**
 * How {@code r1stream serve} listens and admits requests.
 *
 * @param host          interface to bind (127.0.0.1: this machine only)
 * @param port          TCP port; 0 picks a free one (tests)
 * @param servedName    the model name clients send and {@code /v1/models} lists
 * @param apiKey        bearer token required on {@code /v1/*}; null = none
 * @param maxBodyBytes  larger request bodies get 413
 * @param maxQueue      requests admitted beyond the engine's running slots; past that, 429
 * @param httpThreads   Jetty worker threads (each streaming request holds one while it runs)
 * @param prefixEntries retained sequences serve remembers for prefix reuse (see {@link PrefixRouter}); 0 = off
 */
public record ServeOptions(String host, int port, String servedName, String apiKey, long maxBodyBytes, int maxQueue,
                           int httpThreads, int prefixEntries) {

    public ServeOptions {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("--max-body-bytes must be >= 1024, got " + maxBodyBytes);
        if (maxQueue < 0) throw new IllegalArgumentException("--max-queue must be >= 0, got " + maxQueue);
        if (httpThreads < 8) throw new IllegalArgumentException("--http-threads must be >= 8, got " + httpThreads);
        if (servedName == null || servedName.isBlank()) throw new IllegalArgumentException("--served-model-name must not be empty");
    }

    public static ServeOptions defaults(String servedName) {
        return new ServeOptions("127.0.0.1", 8000, servedName, null, 1 << 20, 64, 200, 1024);
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(host, p, servedName, apiKey, maxBodyBytes, maxQueue, httpThreads, prefixEntries);
    }

    public ServeOptions withApiKey(String k) {
        return new ServeOptions(host, port, servedName, k, maxBodyBytes, maxQueue, httpThreads, prefixEntries);
    }

    public ServeOptions withMaxQueue(int q) {
        return new ServeOptions(host, port, servedName, apiKey, maxBodyBytes, q, httpThreads, prefixEntries);
    }

    public ServeOptions withPrefixEntries(int n) {
        return new ServeOptions(host, port, servedName, apiKey, maxBodyBytes, maxQueue, httpThreads, n);
    }

    public ServeOptions withMaxBodyBytes(long b) {
        return new ServeOptions(host, port, servedName, apiKey, b, maxQueue, httpThreads, prefixEntries);
    }
}
