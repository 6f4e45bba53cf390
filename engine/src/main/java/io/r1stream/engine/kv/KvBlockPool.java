package io.r1stream.engine.kv;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine tier's KV memory: at most {@code capacity} blocks (the byte budget divided by a block's size).
 * Blocks are created lazily up to the budget and recycled through a FIFO free list, so ids are predictable.
 * Each block carries a reference count: allocate sets 1, release drops to 0 and frees; releasing a free
 * block is a bug and throws. Only the engine loop thread calls this.
 */
public final class KvBlockPool implements KvBlockSource {
    private final KvLayout layout;
    private final int capacity;
    private final List<KvBlock> blocks = new ArrayList<>();
    private final ArrayDeque<KvBlock> free = new ArrayDeque<>();
    private int[] refCounts = new int[16];
    private int used;

    public KvBlockPool(KvLayout layout, long budgetBytes) {
        this.layout = layout;
        long n = budgetBytes / layout.bytesPerBlock();
        if (n < 1) {
            throw new IllegalArgumentException("KV budget of " + budgetBytes + " bytes is below one block ("
                    + layout.bytesPerBlock() + " bytes = " + layout.blockTokens() + " tokens); raise --kv-budget-mib");
        }
        this.capacity = (int) Math.min(Integer.MAX_VALUE - 8, n);
    }

    @Override public KvLayout layout() { return layout; }

    public int capacity() { return capacity; }

    public int used() { return used; }

    public int freeBlocks() { return capacity - used; }

    public int refCount(int blockId) { return blockId < refCounts.length ? refCounts[blockId] : 0; }

    @Override
    public KvBlock allocate() {
        KvBlock b = free.pollFirst();
        if (b == null) {
            if (blocks.size() >= capacity) return null;
            b = new KvBlock(blocks.size(), layout);
            blocks.add(b);
            if (b.id() >= refCounts.length) refCounts = java.util.Arrays.copyOf(refCounts, refCounts.length * 2);
        }
        refCounts[b.id()] = 1;
        used++;
        return b;
    }

    @Override
    public void release(KvBlock b) {
        if (refCounts[b.id()] <= 0) throw new IllegalStateException("KV block " + b.id() + " released twice");
        if (--refCounts[b.id()] == 0) {
            free.addLast(b);
            used--;
        }
    }
}
