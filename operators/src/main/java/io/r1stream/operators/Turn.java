package io.r1stream.operators;

import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.Arrays;
import java.util.Objects;

/**
 * One finished turn of a conversation as kept in keyed state.
 *
 * @param role     USER or ASSISTANT
 * @param text     the message; for the assistant the full output, reasoning included
 * @param tokenIds the message's own tokens (user: tokenized text; assistant: the generated ids)
 */
public record Turn(ChatMessage.Role role, String text, int[] tokenIds) {

    public ChatMessage message() { return new ChatMessage(role, text); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Turn t && role == t.role && Objects.equals(text, t.text) && Arrays.equals(tokenIds, t.tokenIds);
    }

    @Override
    public int hashCode() { return Objects.hash(role, text); }
}
