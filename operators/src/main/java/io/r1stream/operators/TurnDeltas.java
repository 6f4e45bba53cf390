package io.r1stream.operators;

import io.r1stream.connectors.records.ChatDelta;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.StreamingReasoningSplitter;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The deltas of one turn while the engine generates it. As the engine's {@link TokenListener} (engine thread) it
 * gathers the text of the tokens, splits it into reasoning and content as it streams ({@link StreamingReasoningSplitter})
 * and, per {@link DeltaOptions}, hands each coalesced piece to the task thread (the operator's mailbox), which emits
 * it as a {@link ChatDelta} to {@link #DELTAS}. The operator calls {@link #finish} on the task thread with the
 * turn's result, after the engine's last token (the result is completed after it, and mails run in order), so the
 * final delta follows every other one. Stop strings never reach here: the engine holds back text that may begin one.
 *
 * <p>{@code seq} counts the deltas of this attempt from 0; {@code attempt} is the epoch ms when the turn was
 * submitted, so a turn that runs again after a restore streams from seq 0 under a higher attempt.
 */
public final class TurnDeltas implements TokenListener {
    /** Partial answers; the job writes them at-least-once to the deltas topic, outside the checkpoint's transaction. */
    public static final OutputTag<ChatDelta> DELTAS = new OutputTag<>("conversation-deltas", TypeInformation.of(ChatDelta.class));

    private final String requestId;
    private final String conversationId;
    private final int turn;
    private final long attempt;
    private final long intervalNanos;
    private final int everyTokens;
    private final Executor taskThread;
    private final Consumer<ChatDelta> emit; // task thread only
    private final boolean splitReasoning; // false for a completion: its text streams as content, as it is

    // engine thread until the result is complete, then the task thread (finish); synchronized because a turn
    // timeout finishes on the task thread while the engine may still stream a last token
    private final StreamingReasoningSplitter splitter = new StreamingReasoningSplitter();
    private final StringBuilder pending = new StringBuilder();
    private int pendingTokens;
    private long lastSentNanos;
    private boolean sentAny;
    private int seq;
    private boolean finished;

    TurnDeltas(String requestId, String conversationId, int turn, long attempt, DeltaOptions options,
               Executor taskThread, Consumer<ChatDelta> emit) {
        this(requestId, conversationId, turn, attempt, options, taskThread, emit, true);
    }

    TurnDeltas(String requestId, String conversationId, int turn, long attempt, DeltaOptions options,
               Executor taskThread, Consumer<ChatDelta> emit, boolean splitReasoning) {
        this.splitReasoning = splitReasoning;
        this.requestId = requestId;
        this.conversationId = conversationId;
        this.turn = turn;
        this.attempt = attempt;
        this.intervalNanos = options.interval().toNanos();
        this.everyTokens = options.everyTokens();
        this.taskThread = taskThread;
        this.emit = emit;
    }

    @Override
    public synchronized void onToken(int tokenId, String textDelta) {
        if (finished) return;
        pending.append(textDelta);
        pendingTokens++;
        long now = System.nanoTime();
        boolean due = !sentAny || now - lastSentNanos >= intervalNanos || (everyTokens > 0 && pendingTokens >= everyTokens);
        if (!due) return;
        ReasoningSplit piece = split(pending.toString());
        pending.setLength(0);
        pendingTokens = 0;
        if (piece.reasoning().isEmpty() && piece.content().isEmpty()) return; // e.g. a tag still being decided
        sentAny = true;
        lastSentNanos = now;
        ChatDelta d = delta(piece.reasoning(), piece.content(), false, null);
        try {
            taskThread.execute(() -> emit.accept(d));
        } catch (RejectedExecutionException closing) {
            // the task is shutting down; the turn runs again after restore under a new attempt
        }
    }

    /** On the task thread, with the turn's result: the rest of the text and the final marker. */
    synchronized void finish(String finishReason) {
        if (finished) return;
        finished = true;
        ReasoningSplit rest = split(pending.toString());
        ReasoningSplit tail = splitReasoning ? splitter.finish() : new ReasoningSplit("", "", false);
        pending.setLength(0);
        emit.accept(delta(rest.reasoning() + tail.reasoning(), rest.content() + tail.content(), true, finishReason));
    }

    private ReasoningSplit split(String text) {
        return splitReasoning ? splitter.accept(text) : new ReasoningSplit("", text, false);
    }

    private ChatDelta delta(String reasoning, String content, boolean last, String finishReason) {
        return new ChatDelta(requestId, conversationId, turn, seq++, attempt, reasoning, content, last, finishReason);
    }
}
