package io.r1stream.jobs;

import io.r1stream.connectors.records.ChatResult;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test hook placed before the results sink: counts how often its task opened (1 + restarts) and how many
 * checkpoints completed while answers were still being produced. Static because the job runs in this JVM.
 */
final class CheckpointWatch extends RichMapFunction<ChatResult, ChatResult> implements CheckpointListener {
    static final AtomicInteger OPENS = new AtomicInteger();
    static final AtomicInteger COMPLETED = new AtomicInteger();
    static final AtomicInteger RESULTS = new AtomicInteger();
    /** Checkpoints completed while fewer than {@link #backlogEnd} results had passed. */
    static final AtomicInteger COMPLETED_DURING_BACKLOG = new AtomicInteger();
    static volatile int backlogEnd;

    static void reset(int expectedResults) {
        OPENS.set(0);
        COMPLETED.set(0);
        RESULTS.set(0);
        COMPLETED_DURING_BACKLOG.set(0);
        backlogEnd = expectedResults;
    }

    @Override
    public void open(OpenContext ctx) { OPENS.incrementAndGet(); }

    @Override
    public ChatResult map(ChatResult r) {
        RESULTS.incrementAndGet();
        return r;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        COMPLETED.incrementAndGet();
        if (RESULTS.get() > 0 && RESULTS.get() < backlogEnd - 2) COMPLETED_DURING_BACKLOG.incrementAndGet();
    }
}
