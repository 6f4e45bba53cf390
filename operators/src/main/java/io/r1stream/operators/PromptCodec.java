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

    /**
     * Token ids of a completion prompt, exactly as written: special tokens in it count (as {@code /v1/completions}
     * treats a prompt), no template around it.
     */
    default int[] tokenizeRaw(String text) { return tokenize(text); }

    /** The model's context window, positions. */
    int contextLength();

    /**
     * How many leading positions of {@code prompt} (the rendering of {@code turnsWithUser}) the conversation's
     * next turn will share, whatever the answer ({@link io.r1stream.engine.tokenizer.ReusablePrefix}).
     */
    default int reusablePrefix(String system, List<ChatMessage> turnsWithUser, int[] prompt) {
        return io.r1stream.engine.tokenizer.ReusablePrefix.length(t -> render(system, t), turnsWithUser, prompt);
    }
}
