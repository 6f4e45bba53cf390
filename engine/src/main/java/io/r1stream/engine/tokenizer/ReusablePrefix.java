package io.r1stream.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How much of a turn's prompt the conversation's next turn will share, whatever the answer: the common prefix
 * with the rendering of the same turns followed by an empty answer and an empty next message. For DeepSeek-R1
 * that ends at this turn's {@code <｜Assistant｜>}: the answer's reasoning (and the generation prompt's
 * {@code <think>}) never reach the next prompt, so KV past it is not worth keeping. Template-agnostic: it only
 * asks the renderer.
 */
public final class ReusablePrefix {
    private ReusablePrefix() {}

    /**
     * @param render        turns -> prompt ids, ending in the generation prompt
     * @param turnsWithUser the history plus this turn's user message (what {@code prompt} renders)
     * @param prompt        this turn's prompt ids
     */
    public static int length(Function<List<ChatMessage>, int[]> render, List<ChatMessage> turnsWithUser, int[] prompt) {
        List<ChatMessage> next = new ArrayList<>(turnsWithUser);
        next.add(ChatMessage.assistant(""));
        next.add(ChatMessage.user(""));
        int[] after = render.apply(next);
        int n = Math.min(after.length, prompt.length), i = 0;
        while (i < n && after[i] == prompt[i]) i++;
        return i;
    }
}
