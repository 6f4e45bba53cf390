package io.r1stream.remote;

import java.net.URI;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/** One endpoint: its URLs, circuit breaker, in-flight bound and counters. */
final class Replica {
    final String baseUrl;         // as configured, e.g. http://10.0.0.5:8000/v1
    final URI chat;
    final URI completions;
    final CircuitBreaker breaker;
    final Semaphore slots;        // requests in flight here at most
    final LongAdder attempts = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder successes = new LongAdder();

    Replica(String baseUrl, int maxInFlight, CircuitBreaker breaker) {
        this.baseUrl = baseUrl;
        String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.chat = URI.create(b + "/chat/completions");
        this.completions = URI.create(b + "/completions");
        this.breaker = breaker;
        this.slots = new Semaphore(maxInFlight, true);
    }

    @Override
    public String toString() { return baseUrl; }
}
