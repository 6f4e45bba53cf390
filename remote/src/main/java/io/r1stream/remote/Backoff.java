package io.r1stream.remote;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Retry delays: exponential from {@code baseMs}, capped at {@code maxMs}, with "equal jitter" (a uniformly
 * random point in the upper half) so clients that failed together do not retry together. A server's
 * {@code Retry-After} replaces the computed delay (still capped, so a hostile value cannot park a turn).
 */
final class Backoff {
    private final long baseMs;
    private final long maxMs;

    Backoff(long baseMs, long maxMs) {
        this.baseMs = baseMs;
        this.maxMs = maxMs;
    }

    /**
     * @param retry        1 for the first retry
     * @param retryAfterMs the server's Retry-After in ms, or -1
     */
    long delayMs(int retry, long retryAfterMs) {
        if (retryAfterMs >= 0) return Math.min(retryAfterMs, maxMs);
        long exp = Math.min(maxMs, baseMs << Math.min(30, retry - 1));
        long half = exp / 2;
        return half + (half == 0 ? 0 : ThreadLocalRandom.current().nextLong(exp - half + 1));
    }

    /** Retry-After as ms: delta-seconds (what vLLM, SGLang and serve send); -1 when absent or an HTTP date. */
    static long parseRetryAfter(String header) {
        if (header == null) return -1;
        try {
            double s = Double.parseDouble(header.trim());
            return s < 0 ? -1 : (long) (s * 1000);
        } catch (NumberFormatException e) {
            return -1; // an HTTP-date: fall back to the computed backoff
        }
    }
}
