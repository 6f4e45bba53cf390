package io.r1stream.engine.sample;

/** Why a generation ended, in OpenAI/vLLM spelling. */
public enum FinishReason {
    /** An end-of-sequence token or a stop string. */
    STOP,
    /** max_tokens reached (or the context window is full). */
    LENGTH,
    /** The caller cancelled it. */
    CANCELLED,
    /** The engine failed it (message on the completion). */
    ERROR;

    public String wireName() { return name().toLowerCase(); }
}
