package io.r1stream.engine;

/**
 * Streaming callback, invoked on the engine's loop thread for every generated token: keep it short and
 * hand work elsewhere (the Flink operator hands it to the task mailbox).
 */
@FunctionalInterface
public interface TokenListener {
    /**
     * Called once per generated token, and once more at the end when held-back text remains. The deltas of one
     * request, concatenated, are exactly the result's text: text that may begin a stop string is held back until
     * later tokens decide, so a stop string (or its first characters) is never streamed.
     *
     * @param tokenId   the token just generated (the last one, for the final call)
     * @param textDelta text that became final with this token (may be empty: an incomplete UTF-8 character, or
     *                  characters held back as a possible stop string)
     */
    void onToken(int tokenId, String textDelta);

    TokenListener NONE = (id, delta) -> {};
}
