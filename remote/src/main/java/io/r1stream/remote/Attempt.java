package io.r1stream.remote;

/**
 * How one HTTP attempt ended, and what the retry loop does about it.
 *
 * @param retryAfterMs the server's Retry-After, or -1
 */
record Attempt(Kind kind, String error, long retryAfterMs, RemoteResult result) {

    enum Kind {
        /** Answered. */
        OK,
        /** Could not reach the replica (refused, connect timeout): try the next replica at once. */
        UNREACHABLE,
        /** The replica failed (5xx, timeout, broken or stalled stream): counts against its breaker; retry. */
        FAILED,
        /** 429: the replica is busy, not broken; retry after its Retry-After. */
        OVERLOADED,
        /** A 4xx other than 429: the request itself is wrong; retrying cannot help. */
        REJECTED
    }

    static Attempt ok(RemoteResult r) { return new Attempt(Kind.OK, null, -1, r); }

    static Attempt of(Kind k, String error, long retryAfterMs) { return new Attempt(k, error, retryAfterMs, null); }
}
