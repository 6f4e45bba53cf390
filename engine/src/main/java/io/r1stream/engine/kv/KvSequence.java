package io.r1stream.engine.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence's KV cache: its blocks in position order, the token ids they were computed from, and how many
 * positions are filled. Position p lives in block p / blockTokens, slot p % blockTokens.
 */
public final class KvSequence {
    private final KvLayout layout;
    private final List<KvBlock> blocks = new ArrayList<>();
    private int[] tokens = new int[64]; // token id at each filled position
    private int length;                 // filled positions

    public KvSequence(KvLayout layout) { this.layout = layout; }

    public KvLayout layout() { return layout; }

    public int length() { return length; }

    public int blockCount() { return blocks.size(); }

    public List<KvBlock> blocks() { return blocks; }

    public KvBlock block(int position) { return blocks.get(position / layout.blockTokens()); }

    /** Token ids whose KV is cached, positions [0, length). */
    public int[] tokens() { return Arrays.copyOf(tokens, length); }

    public int token(int position) { return tokens[position]; }

    /** Makes room for {@code total} positions; false (nothing allocated) when the source is out of blocks. */
    public boolean reserve(int total, KvBlockSource source) {
        int need = layout.blocksFor(total) - blocks.size();
        if (need <= 0) return true;
        List<KvBlock> got = new ArrayList<>(need);
        for (int i = 0; i < need; i++) {
            KvBlock b = source.allocate();
            if (b == null) {
                got.forEach(source::release);
                return false;
            }
            got.add(b);
        }
        blocks.addAll(got);
        return true;
    }

    /** Records that positions [from, from + ids.length) now hold the KV of these tokens. */
    public void commit(int from, int[] ids) {
        if (from > length) throw new IllegalStateException("gap: committing at " + from + " with length " + length);
        int end = from + ids.length;
        if (end > blocks.size() * layout.blockTokens()) throw new IllegalStateException("positions not reserved: " + end);
        if (tokens.length < end) tokens = Arrays.copyOf(tokens, Math.max(end, tokens.length * 2));
        System.arraycopy(ids, 0, tokens, from, ids.length);
        length = end;
    }

    /** Keeps the first {@code keep} positions and returns now-unused blocks to the source. */
    public void truncate(int keep, KvBlockSource source) {
        if (keep > length) throw new IllegalArgumentException("cannot keep " + keep + " of " + length);
        length = keep;
        int needed = layout.blocksFor(keep);
        while (blocks.size() > needed) source.release(blocks.remove(blocks.size() - 1));
    }

    /** Returns every block to the source. */
    public void release(KvBlockSource source) { truncate(0, source); }

    /** Longest n such that the first n cached tokens equal ids[0..n). */
    public int commonPrefix(int[] ids) {
        int n = Math.min(length, ids.length);
        int i = 0;
        while (i < n && tokens[i] == ids[i]) i++;
        return i;
    }
}
