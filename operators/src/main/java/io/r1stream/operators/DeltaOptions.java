package io.r1stream.operators;

import java.io.Serializable;
import java.time.Duration;

/**
 * Whether and how the conversation operator streams partial answers ({@link TurnDeltas}) to its
 * {@link TurnDeltas#DELTAS} side output. Tokens are coalesced: a delta goes out when {@code interval} has passed
 * since the previous one of the turn, or when {@code everyTokens} tokens have gathered (0 = no token limit); the
 * first piece of text goes out at once.
 *
 * @param enabled     false: no deltas (the default), the engine gets no token listener
 * @param interval    least time between two deltas of one turn; 0 = one delta per token
 * @param everyTokens send after this many tokens even before {@code interval}; 0 = off
 */
public record DeltaOptions(boolean enabled, Duration interval, int everyTokens) implements Serializable {
    public static final DeltaOptions OFF = new DeltaOptions(false, Duration.ofMillis(50), 0);

    public DeltaOptions {
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("delta interval must be 0 or more, got " + interval + "; e.g. 50ms");
        }
        if (everyTokens < 0) throw new IllegalArgumentException("delta every-tokens must be >= 0 (0 = off), got " + everyTokens);
    }

    public static DeltaOptions every(Duration interval, int everyTokens) { return new DeltaOptions(true, interval, everyTokens); }
}
