package io.r1stream.operators;

import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * What a conversation has said so far, the source of truth from which any KV cache can be rebuilt.
 * Immutable; keyed state holds one per conversation.
 *
 * @param system the system prompt of the first turn, or null
 * @param turns  finished turns in order (user, assistant, user, assistant, ...)
 */
public record ConversationState(String system, List<Turn> turns) {

    public ConversationState {
        turns = turns == null ? List.of() : List.copyOf(turns);
    }

    public static ConversationState start(String system) {
        return new ConversationState(system == null || system.isBlank() ? null : system, List.of());
    }

    /** User turns so far. */
    public int userTurns() {
        int n = 0;
        for (Turn t : turns) if (t.role() == ChatMessage.Role.USER) n++;
        return n;
    }

    /** The history plus a new user message, for rendering the next prompt. */
    public List<ChatMessage> withUserMessage(String message) {
        List<ChatMessage> out = new ArrayList<>(turns.size() + 1);
        for (Turn t : turns) out.add(t.message());
        out.add(ChatMessage.user(message));
        return out;
    }

    /** Without the oldest user/assistant pair (the context policy's way to make room); same when empty. */
    public ConversationState withoutOldestPair() {
        if (turns.size() < 2) return new ConversationState(system, List.of());
        return new ConversationState(system, turns.subList(2, turns.size()));
    }

    public ConversationState append(Turn user, Turn assistant) {
        List<Turn> next = new ArrayList<>(turns.size() + 2);
        next.addAll(turns);
        next.add(user);
        next.add(assistant);
        return new ConversationState(system, next);
    }
}
