package io.r1stream.engine.sample;

/**
 * A model output (or a streamed piece of one) divided into its reasoning and its answer, the
 * {@code reasoning_content} and {@code content} fields of an OpenAI-style response.
 *
 * @param reasoning      text between {@code <think>} (or the start) and {@code </think>}; "" if none
 * @param content        text after {@code </think>}; "" if none (vLLM reports null then)
 * @param reasoningEnded whether {@code </think>} was seen; false means the output stopped mid-reasoning
 */
public record ReasoningSplit(String reasoning, String content, boolean reasoningEnded) {

    public boolean hasContent() {
        return !content.isEmpty();
    }

    /**
     * The same split with newlines around each part removed: R1 writes {@code "\n...\n</think>\n\n"}.
     * vLLM returns the parts untouched; use this for display or storage, not for API compatibility.
     */
    public ReasoningSplit withoutSurroundingNewlines() {
        return new ReasoningSplit(stripNewlines(reasoning), stripNewlines(content), reasoningEnded);
    }

    private static String stripNewlines(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == '\n' || s.charAt(from) == '\r')) {
            from++;
        }
        while (to > from && (s.charAt(to - 1) == '\n' || s.charAt(to - 1) == '\r')) {
            to--;
        }
        return s.substring(from, to);
    }
}
