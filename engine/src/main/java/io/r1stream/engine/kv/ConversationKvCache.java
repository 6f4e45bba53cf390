package io.r1stream.engine.kv;

import io.r1stream.engine.KvSource;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Session-aware retention: a finished turn's KV stays in engine memory under its conversation id until
 * memory is needed, then the least recently used idle conversation moves to the host tier (compact), and
 * from there is dropped last. Running sequences are not in here (they are taken out while they run), so
 * eviction never touches them. Only the engine loop thread calls this.
 */
public final class ConversationKvCache {
    /** A conversation's cached KV, ready to extend, and the tier it came from. */
    public record Lookup(KvSequence kv, KvSource source) {}

    private final KvBlockPool pool;
    private final KvChunkCodec codec;
    private final HostKvTier host;
    private final int chunkTokens;
    private final LinkedHashMap<String, KvSequence> idle = new LinkedHashMap<>(16, 0.75f, true);
    private long evictions;
    /** Allocation that evicts idle conversations when the pool is full. */
    private final KvBlockSource evicting = new KvBlockSource() {
        @Override public KvBlock allocate() {
            KvBlock b = pool.allocate();
            while (b == null && evictOne()) b = pool.allocate();
            return b;
        }
        @Override public void release(KvBlock block) { pool.release(block); }
        @Override public KvLayout layout() { return pool.layout(); }
    };

    public ConversationKvCache(KvBlockPool pool, KvChunkCodec codec, long hostBudgetBytes, int chunkTokens) {
        this.pool = pool;
        this.codec = codec;
        this.host = new HostKvTier(hostBudgetBytes);
        this.chunkTokens = chunkTokens;
    }

    /** Blocks for running sequences: evicts idle conversations first, null only when nothing is left to evict. */
    public KvBlockSource blocks() { return evicting; }

    public KvBlockPool pool() { return pool; }

    public HostKvTier host() { return host; }

    public int idleConversations() { return idle.size(); }

    /** Conversations moved to the host tier so far. */
    public long evictions() { return evictions; }

    public boolean isIdleInEngine(String conversationId) { return idle.containsKey(conversationId); }

    /** Takes the conversation's KV out for a new turn: engine tier, else host tier (decoded), else empty. */
    public Lookup take(String conversationId) {
        KvSequence seq = idle.remove(conversationId);
        if (seq != null) return new Lookup(seq, KvSource.ENGINE);
        HostKvTier.Entry e = host.remove(conversationId);
        KvSequence fresh = new KvSequence(pool.layout());
        if (e != null && codec.decodeInto(e.chunks(), fresh, evicting)) return new Lookup(fresh, e.origin());
        return new Lookup(fresh, KvSource.NONE);
    }

    /** Keeps a finished turn's KV for the conversation's next turn (replacing any older copy). */
    public void retain(String conversationId, KvSequence seq) {
        drop(conversationId);
        if (seq.length() == 0) return;
        idle.put(conversationId, seq);
    }

    /** Moves the least recently used idle conversation to the host tier and frees its blocks. */
    public boolean evictOne() {
        Iterator<Map.Entry<String, KvSequence>> it = idle.entrySet().iterator();
        if (!it.hasNext()) return false;
        Map.Entry<String, KvSequence> lru = it.next();
        it.remove();
        evictions++;
        host.put(lru.getKey(), codec.encode(lru.getValue(), chunkTokens), KvSource.HOST);
        lru.getValue().release(pool);
        return true;
    }

    /** Chunks of the conversation's cached KV (engine or host tier), for the Flink state tier; empty if none. */
    public List<KvChunk> export(String conversationId) {
        KvSequence seq = idle.get(conversationId);
        if (seq != null) return codec.encode(seq, chunkTokens);
        HostKvTier.Entry e = host.get(conversationId);
        return e == null ? List.of() : e.chunks();
    }

    /** What happened to chunks offered from keyed state. */
    public enum ImportOutcome { IMPORTED, ENGINE_COPY_KEPT, OTHER_MODEL, EMPTY }

    /**
     * Places chunks loaded from keyed state in the host tier; the next turn reports kv_source "state". Chunks
     * of another model (a fine-tune of the same shape, another weight format) are refused: recompute instead.
     *
     * @throws IllegalArgumentException for chunks that do not fit this model's KV shape or format
     */
    public ImportOutcome importChunks(String conversationId, List<KvChunk> chunks) {
        if (chunks.isEmpty()) return ImportOutcome.EMPTY;
        for (KvChunk c : chunks) if (!codec.fromThisModel(c)) return ImportOutcome.OTHER_MODEL;
        chunks.forEach(codec::check);
        if (idle.containsKey(conversationId)) return ImportOutcome.ENGINE_COPY_KEPT; // the engine's own copy is hotter
        host.put(conversationId, chunks, KvSource.STATE);
        return ImportOutcome.IMPORTED;
    }

    /** Positions [from, to) of a sequence as chunks, for the Flink state tier. */
    public List<KvChunk> chunksOf(KvSequence seq, int from, int to) { return codec.encode(seq, from, to, chunkTokens); }

    /** Engine-tier blocks held by idle (retained) conversations. */
    public int retainedBlocks() {
        int n = 0;
        for (KvSequence s : idle.values()) n += s.blockCount();
        return n;
    }

    public void drop(String conversationId) {
        KvSequence old = idle.remove(conversationId);
        if (old != null) old.release(pool);
        host.remove(conversationId);
    }
}
