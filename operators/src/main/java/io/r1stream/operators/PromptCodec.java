package io.r1stream.operators;

import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.List;

/**
 * Turns a conversation into the model's prompt tokens. The real one ({@link ModelPromptCodec}) renders the
 * DeepSeek-R1 chat template with the model's tokenizer; unit tests use a fake that needs no model.
 */
public interface PromptCodec {

    /** The whole conversation rendered with the chat template, ending in the generation prompt. */
    int[] render(String system, List<ChatMessage> turns);

    /** Token ids of a piece of plain text (no template), e.g. one user message. */
    int[] tokenize(String text);

    /** The model's context window, positions. */
    int contextLength();

    /**
     * How many leading positions of {@code prompt} (the rendering of {@code turnsWithUser}) the conversation's
     * next turn will share, whatever the answer: the common prefix with the rendering of the same turns followed
     * by an empty answer and an empty next message. For DeepSeek-R1 that ends at this turn's
     * {@code <｜Assistant｜>}: the answer's reasoning (and the generation prompt's {@code <think>}) never reach
     * the next prompt, so KV past it is not worth keeping.
     */
    default int reusablePrefix(String system, List<ChatMessage> turnsWithUser, int[] prompt) {
        List<ChatMessage> next = new java.util.ArrayList<>(turnsWithUser);
        next.add(ChatMessage.assistant(""));
        next.add(ChatMessage.user(""));
        int[] after = render(system, next);
        int n = Math.min(after.length, prompt.length), i = 0;
        while (i < n && after[i] == prompt[i]) i++;
        return i;
    }
}
