package io.r1stream.engine.kv;

/** Where a sequence gets its KV blocks from and returns them to. */
public interface KvBlockSource {
    /** A free block, or null when the memory budget is used up (the caller preempts or waits). */
    KvBlock allocate();

    void release(KvBlock block);

    KvLayout layout();

    /** Unbounded blocks on the heap: single-sequence tools (generate, logits, tests). */
    static KvBlockSource unbounded(KvLayout layout) {
        return new KvBlockSource() {
            private int next;
            @Override public KvBlock allocate() { return new KvBlock(next++, layout); }
            @Override public void release(KvBlock block) {}
            @Override public KvLayout layout() { return layout; }
        };
    }
}
