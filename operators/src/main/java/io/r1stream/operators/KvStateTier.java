package io.r1stream.operators;

import java.util.Locale;

/**
 * When a conversation's KV cache is copied from the engine into Flink keyed state, so that after a restart
 * or rescale its next turn loads the KV instead of recomputing the prefix.
 */
public enum KvStateTier {
    /** Never: after a restart every conversation's prefix is recomputed from its token ids. */
    OFF("off"),
    /**
     * At each checkpoint, for the conversations that finished a turn since the previous one (the engine has
     * no eviction callback, so "evict" means "the engine's copy may be lost with the process"). Costs one
     * export per active conversation per checkpoint instead of one per turn.
     */
    ON_EVICT("on-evict"),
    /** After every finished turn. */
    EVERY_TURN("every-turn");

    private final String wireName;

    KvStateTier(String wireName) { this.wireName = wireName; }

    public String wireName() { return wireName; }

    public static KvStateTier parse(String name) {
        String v = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (KvStateTier t : values()) if (t.wireName.equals(v)) return t;
        throw new IllegalArgumentException("unknown KV state tier '" + name + "'; use off, on-evict or every-turn");
    }
}
