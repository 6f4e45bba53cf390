package io.r1stream.engine.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation. Assistant content is the model's full output, reasoning included
 * ({@code "...</think>\n\nanswer"}); the chat template decides what of it goes back to the model.
 */
public record ChatMessage(Role role, String content) {

    /** Who wrote a turn. */
    public enum Role { SYSTEM, USER, ASSISTANT }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content (use \"\" for an empty turn)");
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
