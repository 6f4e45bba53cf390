package io.r1stream.remote;

import java.io.Serializable;
import java.net.URI;
import java.util.List;

/**
 * How the chat job talks to OpenAI-compatible endpoints (vLLM, SGLang, the DeepSeek API, {@code r1stream serve}).
 * Serializable: it travels in the Flink job graph; the API key is read from {@code apiKeyEnv} where the client
 * is opened (the TaskManager), never stored here.
 *
 * @param endpoints             base URLs ending in {@code /v1} (several = replicas of one model)
 * @param model                 the {@code model} field sent (vLLM: the served model name; DeepSeek: deepseek-reasoner)
 * @param apiKeyEnv             environment variable holding the bearer token; null = none
 * @param connectTimeoutMs      TCP connect limit, ms
 * @param firstByteTimeoutMs    request sent -> response headers, ms (the server's queue + prefill)
 * @param idleTimeoutMs         longest silence inside a streamed response, ms (a stalled replica)
 * @param totalTimeoutMs        submit -> final answer over all attempts, ms; past it the turn ends as an error
 * @param maxAttempts           tries per request (1 = no retry) on connect errors, timeouts, 429 and 5xx
 * @param backoffBaseMs         first retry delay, doubled per retry, ms (with jitter; Retry-After wins)
 * @param backoffMaxMs          cap of a retry delay, ms (also caps a server's Retry-After)
 * @param maxInFlightPerEndpoint requests sent to one endpoint at once; more wait (backpressure), they do not spill
 * @param breakerFailures       consecutive failures that open a replica's circuit breaker
 * @param breakerOpenMs         how long an open breaker keeps requests away before one probe, ms
 */
public record RemoteOptions(List<String> endpoints, String model, String apiKeyEnv, long connectTimeoutMs,
                            long firstByteTimeoutMs, long idleTimeoutMs, long totalTimeoutMs, int maxAttempts,
                            long backoffBaseMs, long backoffMaxMs, int maxInFlightPerEndpoint, int breakerFailures,
                            long breakerOpenMs) implements Serializable {

    public RemoteOptions {
        if (endpoints == null || endpoints.isEmpty()) {
            throw new IllegalArgumentException("the openai backend needs at least one --endpoint URL (e.g. http://127.0.0.1:8000/v1)");
        }
        endpoints = List.copyOf(endpoints);
        for (String e : endpoints) {
            URI u;
            try {
                u = URI.create(e);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("--endpoint '" + e + "' is not a URL: " + ex.getMessage());
            }
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("--endpoint '" + e + "' must be an http(s) base URL such as http://127.0.0.1:8000/v1");
            }
        }
        if (endpoints.stream().distinct().count() != endpoints.size()) throw new IllegalArgumentException("--endpoint lists a URL twice: " + endpoints);
        if (model == null || model.isBlank()) throw new IllegalArgumentException("--endpoint-model is required with the openai backend (the server's model name)");
        if (connectTimeoutMs < 1 || firstByteTimeoutMs < 1 || idleTimeoutMs < 1 || totalTimeoutMs < 1) throw new IllegalArgumentException("timeouts must be >= 1 ms");
        if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be >= 1, got " + maxAttempts);
        if (backoffBaseMs < 0 || backoffMaxMs < backoffBaseMs) throw new IllegalArgumentException("need 0 <= backoff base <= backoff max, got " + backoffBaseMs + " / " + backoffMaxMs);
        if (maxInFlightPerEndpoint < 1) throw new IllegalArgumentException("max in flight per endpoint must be >= 1, got " + maxInFlightPerEndpoint);
        if (breakerFailures < 1 || breakerOpenMs < 1) throw new IllegalArgumentException("breaker failures and open time must be >= 1");
    }

    /** Defaults for a replica set in one data centre: 5 s connect, 60 s to first byte, 30 s idle, 10 min total, 5 tries. */
    public static RemoteOptions defaults(List<String> endpoints, String model) {
        return new RemoteOptions(endpoints, model, null, 5_000, 60_000, 30_000, 600_000, 5, 200, 10_000, 32, 3, 5_000);
    }

    public RemoteOptions withApiKeyEnv(String env) {
        return new RemoteOptions(endpoints, model, env, connectTimeoutMs, firstByteTimeoutMs, idleTimeoutMs, totalTimeoutMs, maxAttempts,
                backoffBaseMs, backoffMaxMs, maxInFlightPerEndpoint, breakerFailures, breakerOpenMs);
    }

    public RemoteOptions withTimeouts(long connectMs, long firstByteMs, long idleMs, long totalMs) {
        return new RemoteOptions(endpoints, model, apiKeyEnv, connectMs, firstByteMs, idleMs, totalMs, maxAttempts,
                backoffBaseMs, backoffMaxMs, maxInFlightPerEndpoint, breakerFailures, breakerOpenMs);
    }

    public RemoteOptions withRetries(int attempts, long baseMs, long maxMs) {
        return new RemoteOptions(endpoints, model, apiKeyEnv, connectTimeoutMs, firstByteTimeoutMs, idleTimeoutMs, totalTimeoutMs, attempts,
                baseMs, maxMs, maxInFlightPerEndpoint, breakerFailures, breakerOpenMs);
    }

    public RemoteOptions withMaxInFlightPerEndpoint(int n) {
        return new RemoteOptions(endpoints, model, apiKeyEnv, connectTimeoutMs, firstByteTimeoutMs, idleTimeoutMs, totalTimeoutMs, maxAttempts,
                backoffBaseMs, backoffMaxMs, n, breakerFailures, breakerOpenMs);
    }

    public RemoteOptions withBreaker(int failures, long openMs) {
        return new RemoteOptions(endpoints, model, apiKeyEnv, connectTimeoutMs, firstByteTimeoutMs, idleTimeoutMs, totalTimeoutMs, maxAttempts,
                backoffBaseMs, backoffMaxMs, maxInFlightPerEndpoint, failures, openMs);
    }
}
