package io.r1stream.engine.kv;

import io.r1stream.engine.KvSource;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host-memory tier: compact (fp16/int8) KV chunks of conversations evicted from the engine tier, or
 * imported from Flink state, kept least-recently-used under a byte budget; past it, the oldest are dropped
 * (their next turn recomputes, or loads from state).
 */
public final class HostKvTier {
    /** @param origin HOST for engine evictions, STATE for chunks imported from keyed state */
    public record Entry(List<KvChunk> chunks, long bytes, KvSource origin) {}

    private final long budgetBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public HostKvTier(long budgetBytes) { this.budgetBytes = budgetBytes; }

    public long bytes() { return bytes; }

    public int size() { return entries.size(); }

    public boolean contains(String conversationId) { return entries.containsKey(conversationId); }

    /** Stores (replacing) a conversation's chunks, then drops least recently used entries over budget. */
    public void put(String conversationId, List<KvChunk> chunks, KvSource origin) {
        remove(conversationId);
        long size = 0;
        for (KvChunk c : chunks) size += c.sizeBytes();
        if (size > budgetBytes || chunks.isEmpty()) return;
        entries.put(conversationId, new Entry(List.copyOf(chunks), size, origin));
        bytes += size;
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (bytes > budgetBytes && it.hasNext()) {
            Map.Entry<String, Entry> e = it.next();
            bytes -= e.getValue().bytes();
            it.remove();
        }
    }

    /** The conversation's entry without removing it (refreshes its recency). */
    public Entry get(String conversationId) { return entries.get(conversationId); }

    public Entry remove(String conversationId) {
        Entry e = entries.remove(conversationId);
        if (e != null) bytes -= e.bytes();
        return e;
    }
}
