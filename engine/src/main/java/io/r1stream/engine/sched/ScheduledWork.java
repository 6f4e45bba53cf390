package io.r1stream.engine.sched;

/** What a sequence needs from the scheduler: how many of its tokens still lack KV. */
public interface ScheduledWork {
    /** Tokens known (prompt + generated) minus tokens whose KV is computed; 1 for a decoding sequence. */
    int pendingTokens();
}
