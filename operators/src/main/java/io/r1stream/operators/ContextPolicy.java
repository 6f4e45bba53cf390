package io.r1stream.operators;

import java.util.Locale;

/** What the conversation operator does when a conversation outgrows the model's context window. */
public enum ContextPolicy {
    /**
     * Forget the oldest user/assistant pairs (from keyed state too) until the prompt plus {@code max_tokens}
     * fits; the result's {@code usage.prompt_tokens} shows the shorter prompt. A message that does not fit even
     * with no history is a dead letter.
     */
    DROP_OLDEST("drop-oldest"),
    /** Keep the history; the new turn becomes a dead letter that says by how much it is over. */
    ERROR("error");

    private final String wireName;

    ContextPolicy(String wireName) { this.wireName = wireName; }

    public String wireName() { return wireName; }

    public static ContextPolicy parse(String name) {
        String v = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (ContextPolicy p : values()) if (p.wireName.equals(v)) return p;
        throw new IllegalArgumentException("unknown context policy '" + name + "'; use drop-oldest or error");
    }
}
