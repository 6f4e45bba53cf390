package io.r1stream.remote;

/** Streamed pieces of a remote answer, on the client's request thread; keep it short (hand work elsewhere). */
public interface RemoteListener {
    /** Text as it arrives; either part may be empty. */
    void onDelta(String reasoning, String content);

    /** An attempt failed after streaming some text: what was streamed so far is void, the answer starts over. */
    default void onRestart(int attempt) {}

    RemoteListener NONE = (r, c) -> {};
}
