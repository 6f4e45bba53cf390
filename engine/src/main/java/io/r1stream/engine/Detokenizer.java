package io.r1stream.engine;

/** Turns one request's generated token ids into text, one token at a time (stateful, one per request). */
public interface Detokenizer {
    /** The text this token completes; empty while a multi-byte character is still incomplete. */
    String next(int tokenId);
}
