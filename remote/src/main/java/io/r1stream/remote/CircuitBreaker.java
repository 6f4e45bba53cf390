package io.r1stream.remote;

/**
 * One replica's circuit breaker. CLOSED: requests flow; {@code failures} consecutive failures open it. OPEN:
 * no requests for {@code openMs}; then HALF_OPEN: exactly one probe goes through, its success closes the
 * breaker, its failure opens it again. Thread-safe; time is passed in (ms) so tests need no clock.
 */
final class CircuitBreaker {
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final long openMs;
    private State state = State.CLOSED;
    private int consecutiveFailures;
    private long openedAt;
    private boolean probeOut;

    CircuitBreaker(int threshold, long openMs) {
        this.threshold = threshold;
        this.openMs = openMs;
    }

    /** Whether a request may go to this replica now; in HALF_OPEN the first caller gets the probe. */
    synchronized boolean tryAcquire(long nowMs) {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (nowMs - openedAt < openMs) return false;
                state = State.HALF_OPEN;
                probeOut = false;
                // fall through: this caller may be the probe
            case HALF_OPEN:
            default:
                if (probeOut) return false;
                probeOut = true;
                return true;
        }
    }

    /** Without taking the probe: would {@link #tryAcquire} say yes now? (for picking a replica) */
    synchronized boolean isAvailable(long nowMs) {
        return switch (state) {
            case CLOSED -> true;
            case OPEN -> nowMs - openedAt >= openMs;
            case HALF_OPEN -> !probeOut;
        };
    }

    synchronized void onSuccess() {
        state = State.CLOSED;
        consecutiveFailures = 0;
        probeOut = false;
    }

    synchronized void onFailure(long nowMs) {
        consecutiveFailures++;
        if (state == State.HALF_OPEN || consecutiveFailures >= threshold) {
            state = State.OPEN;
            openedAt = nowMs;
            probeOut = false;
        }
    }

    /** The request neither succeeded nor failed on this replica's account (e.g. 429, a bad request). */
    synchronized void onNeutral() {
        if (state == State.HALF_OPEN) probeOut = false;
    }

    synchronized State state(long nowMs) {
        if (state == State.OPEN && nowMs - openedAt >= openMs) return State.HALF_OPEN;
        return state;
    }
}
