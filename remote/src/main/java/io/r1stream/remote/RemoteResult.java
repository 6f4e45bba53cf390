package io.r1stream.remote;

/**
 * What a remote turn ended with. Every submitted request ends in exactly one result; a request that could
 * not be served has {@code error} set (with the reason and the attempts made) instead of being lost.
 *
 * @param endpoint     base URL of the replica that answered (the last one tried when failed)
 * @param reasoning    {@code reasoning_content} (or {@code reasoning}, or the {@code <think>} part of content)
 * @param content      the answer
 * @param finishReason the server's (stop, length, ...), or "error"
 * @param cachedTokens {@code usage.prompt_tokens_details.cached_tokens} (vLLM, OpenAI, serve) or
 *                     {@code usage.prompt_cache_hit_tokens} (DeepSeek API); 0 when not reported
 * @param queueMs      submit -> the answering attempt was sent (waiting for a slot, backoff, failed attempts), ms
 * @param ttftMs       submit -> first generated text, ms
 * @param meanItlMs    mean gap between streamed chunks after the first, ms
 * @param e2eMs        submit -> end, ms
 * @param attempts     HTTP attempts made
 * @param error        null on success
 */
public record RemoteResult(String requestId, String endpoint, String reasoning, String content, String finishReason,
                           int promptTokens, int completionTokens, int cachedTokens, double queueMs, double ttftMs,
                           double meanItlMs, double e2eMs, int attempts, String error) {

    public boolean ok() { return error == null; }

    /** The model's full output in the form the chat history keeps (R1: reasoning, {@code </think>}, answer). */
    public String fullText() {
        return reasoning.isEmpty() ? content : reasoning + "</think>" + content;
    }
}
