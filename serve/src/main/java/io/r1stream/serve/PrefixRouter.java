package io.r1stream.serve;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Picks the engine conversation whose retained KV a request reuses. The engine keeps KV per conversation id
 * and reuses the longest exactly matching prefix; HTTP requests carry no conversation id, so serve remembers
 * the tokens each retained sequence holds (prompt + output) and hands a new request the idle entry that shares
 * the longest prefix with its prompt: the next turn of a chat, a repeated request, or another request with the
 * same long system prompt. Entries in use by a running request are skipped (one sequence cannot serve two).
 *
 * <p>Bounded: past {@code maxEntries} the least recently used idle entry is forgotten and its KV dropped.
 * With {@code maxEntries} 0 prefix reuse is off: requests run without a conversation id (KV freed at once).
 */
final class PrefixRouter {
    /** A prefix shorter than this is not worth taking another entry's KV for (BOS alone matches everything). */
    static final int MIN_SHARED_TOKENS = 8;

    /** @param conversationId the engine conversation to submit under; {@code sharedTokens} matched (estimate) */
    record Lease(String conversationId, int sharedTokens) {}

    private final int maxEntries;
    private final Consumer<String> dropper; // frees an entry's KV in the engine
    private final LinkedHashMap<String, int[]> idle = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    private final Set<String> busy = new HashSet<>();
    private final String idPrefix; // unique per server: servers in one JVM may share an engine
    private long next;

    PrefixRouter(int maxEntries, Consumer<String> dropper) {
        if (maxEntries < 0) throw new IllegalArgumentException("--prefix-entries must be >= 0 (0 = off), got " + maxEntries);
        this.maxEntries = maxEntries;
        this.dropper = dropper;
        this.idPrefix = "serve-" + Long.toHexString(System.nanoTime() ^ System.identityHashCode(this)) + "-";
    }

    synchronized Lease acquire(int[] prompt) {
        if (maxEntries == 0) return new Lease(null, 0);
        String best = null;
        int bestLen = MIN_SHARED_TOKENS - 1;
        for (Map.Entry<String, int[]> e : idle.entrySet()) {
            int n = commonPrefix(e.getValue(), prompt);
            if (n > bestLen) {
                best = e.getKey();
                bestLen = n;
            }
        }
        if (best == null) {
            best = idPrefix + (next++);
            bestLen = 0;
        } else {
            idle.remove(best);
        }
        busy.add(best);
        return new Lease(best, bestLen);
    }

    /** The request under this lease finished; the engine now retains {@code tokens} (prompt + output) for it. */
    void release(Lease lease, int[] tokens) {
        if (lease.conversationId() == null) return;
        List<String> evicted = new ArrayList<>();
        synchronized (this) {
            busy.remove(lease.conversationId());
            idle.put(lease.conversationId(), tokens);
            Iterator<String> it = idle.keySet().iterator();
            while (idle.size() + busy.size() > maxEntries && it.hasNext()) {
                evicted.add(it.next());
                it.remove();
            }
        }
        evicted.forEach(dropper); // outside the lock: the engine call waits for its loop
    }

    synchronized int entries() { return idle.size() + busy.size(); }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
