package io.r1stream.engine;

/**
 * Streaming callback, invoked on the engine's loop thread for every generated token: keep it short and
 * hand work elsewhere (the Flink operator hands it to the task mailbox).
 */
@FunctionalInterface
public interface TokenListener {
    /** @param textDelta the text this token completed (may be empty while a UTF-8 character is incomplete) */
    void onToken(int tokenId, String textDelta);

    TokenListener NONE = (id, delta) -> {};
}
