package io.r1stream.engine.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids into text one id at a time, for streaming. A byte-level token may hold only
 * part of a UTF-8 character (an emoji is often 2-4 tokens), so the text of a single token is not always
 * printable. The usual trick (as in vLLM and TGI): decode a small window of recent ids with and without
 * the new id, emit the difference, and hold it back while it ends in U+FFFD (an incomplete character).
 * The concatenated deltas, plus {@link #flush()}, equal {@code decode(allIds)}.
 *
 * <p>One instance per sequence, used by one thread. The window starts at the last point where the text
 * was complete, so each step decodes only a handful of ids.
 */
public final class StreamingDetokenizer {

    private static final char REPLACEMENT = '\uFFFD';

    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[64];
    private int size;
    private int prefixOffset; // window start: ids before it are already emitted, and end a complete char
    private int readOffset;   // ids in [prefixOffset, readOffset) are emitted; after it, not yet

    StreamingDetokenizer(TextTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one generated id; returns the text it completes (may be empty while a character is split). */
    public String accept(int tokenId) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = tokenId;
        String before = decodeRange(prefixOffset, readOffset);
        String after = decodeRange(prefixOffset, size);
        if (after.length() > before.length() && after.charAt(after.length() - 1) != REPLACEMENT) {
            prefixOffset = readOffset;
            readOffset = size;
            return after.substring(before.length());
        }
        return "";
    }

    /**
     * Text still held back (an incomplete character at the end, shown as U+FFFD as full decoding would);
     * call once when the sequence ends.
     */
    public String flush() {
        String before = decodeRange(prefixOffset, readOffset);
        String after = decodeRange(prefixOffset, size);
        prefixOffset = readOffset;
        readOffset = size;
        return after.length() > before.length() ? after.substring(before.length()) : "";
    }

    /** All ids accepted so far. */
    public int[] ids() {
        return Arrays.copyOf(ids, size);
    }

    private String decodeRange(int from, int to) {
        return from >= to ? "" : tokenizer.decode(Arrays.copyOfRange(ids, from, to), skipSpecialTokens);
    }
}
