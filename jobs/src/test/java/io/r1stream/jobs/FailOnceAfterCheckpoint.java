package io.r1stream.jobs;

import io.r1stream.connectors.records.ChatResult;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Test hook inserted before the results sink: passes results through, and throws once, on the first result
 * it sees after a checkpoint completed and {@link #ARMED} is set. Static flags survive the restart (same JVM).
 */
final class FailOnceAfterCheckpoint implements MapFunction<ChatResult, ChatResult>, CheckpointListener {
    static final AtomicBoolean ARMED = new AtomicBoolean();
    static final AtomicBoolean CHECKPOINT_SEEN = new AtomicBoolean();
    static final AtomicBoolean FAILED = new AtomicBoolean();

    static void reset() {
        ARMED.set(false);
        CHECKPOINT_SEEN.set(false);
        FAILED.set(false);
    }

    @Override
    public ChatResult map(ChatResult r) {
        if (ARMED.get() && CHECKPOINT_SEEN.get() && FAILED.compareAndSet(false, true)) {
            throw new IllegalStateException("injected fault before the sink, at result " + r.requestId());
        }
        return r;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        if (ARMED.get()) CHECKPOINT_SEEN.set(true);
    }
}
