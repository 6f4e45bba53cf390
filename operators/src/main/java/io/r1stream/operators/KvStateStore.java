package io.r1stream.operators;

import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.kv.KvChunk;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The Flink-state tier of a conversation's KV cache: append-only chunks in keyed state plus the token ids
 * they cover. A turn's engine result carries the chunks past what is stored ({@code exportKvFrom}), so state
 * is written without a round trip to the engine thread and only what changed is written: one append per turn
 * ({@code every-turn}) or per checkpoint ({@code on-evict}, buffered here until the snapshot). When a
 * conversation's tokens diverge from what is stored (the context policy dropped old turns), the stored chunks
 * cannot be reused and are cleared. Task thread only; the current key must be the conversation.
 */
final class KvStateStore {
    /** What the next turn needs: export from here; chunks to offer the engine (when it lacks the KV). */
    record Plan(int exportFrom, List<KvChunk> stored) {}

    private final KvStateTier tier;
    private final ListState<KvChunk> chunks;
    private final ValueState<int[]> coveredTokens;
    private final Counter bytesWritten;
    /** on-evict: conversation -> chunks (and covered tokens) not yet in keyed state. */
    private final Map<String, Buffered> pending = new HashMap<>();

    private record Buffered(List<KvChunk> chunks, int[] covered) {}

    KvStateStore(KvStateTier tier, ListState<KvChunk> chunks, ValueState<int[]> coveredTokens, Counter bytesWritten) {
        this.tier = tier;
        this.chunks = chunks;
        this.coveredTokens = coveredTokens;
        this.bytesWritten = bytesWritten;
    }

    boolean enabled() { return tier != KvStateTier.OFF; }

    /** Before submitting {@code prompt}: where the stored KV ends (clearing it if the prompt diverged). */
    Plan plan(String conversationId, int[] prompt, boolean engineHasKv) throws Exception {
        if (!enabled()) return new Plan(GenerationRequest.NO_EXPORT, List.of());
        int[] covered = covered(conversationId);
        int common = commonPrefix(covered, prompt);
        if (common < covered.length) { // history changed under the stored chunks: they can never match again
            clear(conversationId);
            return new Plan(0, List.of());
        }
        List<KvChunk> stored = new ArrayList<>();
        if (!engineHasKv) {
            Iterable<KvChunk> inState = chunks.get();
            if (inState != null) inState.forEach(stored::add);
            Buffered b = pending.get(conversationId);
            if (b != null) stored.addAll(b.chunks());
        }
        return new Plan(covered.length, stored);
    }

    /** After a finished turn: appends the chunks its result carries (now, or at the next snapshot). */
    void append(String conversationId, int exportFrom, List<KvChunk> added) throws Exception {
        if (!enabled() || added.isEmpty() || exportFrom < 0) return;
        int[] covered = covered(conversationId);
        if (covered.length != exportFrom) return; // stale: state changed since the turn was planned
        int n = covered.length;
        for (KvChunk c : added) n += c.length();
        int[] next = Arrays.copyOf(covered, n);
        int at = covered.length;
        for (KvChunk c : added) {
            System.arraycopy(c.tokenIds(), 0, next, at, c.length());
            at += c.length();
        }
        if (tier == KvStateTier.EVERY_TURN) {
            write(added, next);
        } else {
            Buffered b = pending.get(conversationId);
            List<KvChunk> all = new ArrayList<>(b == null ? List.of() : b.chunks());
            all.addAll(added);
            pending.put(conversationId, new Buffered(all, next));
        }
    }

    /** on-evict, at a snapshot: writes the buffered chunks of every conversation, no engine call. */
    void flush(Consumer<String> setCurrentKey) throws Exception {
        for (Map.Entry<String, Buffered> e : pending.entrySet()) {
            setCurrentKey.accept(e.getKey());
            write(e.getValue().chunks(), e.getValue().covered());
        }
        pending.clear();
    }

    boolean hasPending() { return !pending.isEmpty(); }

    void clear(String conversationId) {
        chunks.clear();
        coveredTokens.clear();
        pending.remove(conversationId);
    }

    /** Forgets buffered chunks (subtask closing: they were never part of a checkpoint). */
    void forgetPending(String conversationId) { pending.remove(conversationId); }

    private void write(List<KvChunk> added, int[] covered) throws Exception {
        chunks.addAll(added);
        coveredTokens.update(covered);
        long bytes = 4L * covered.length;
        for (KvChunk c : added) bytes += c.sizeBytes();
        bytesWritten.inc(bytes);
    }

    private int[] covered(String conversationId) throws Exception {
        Buffered b = pending.get(conversationId);
        if (b != null) return b.covered();
        int[] c = coveredTokens.value();
        return c == null ? new int[0] : c;
    }

    static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
