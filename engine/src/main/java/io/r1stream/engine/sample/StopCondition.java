package io.r1stream.engine.sample;

import java.util.List;
import java.util.Set;

/**
 * Decides when a generation ends: an EOS id from generation_config.json, a stop string appearing in the text,
 * or max tokens. Stop strings are matched on the detokenized text so they work across token boundaries;
 * the text is cut before the stop string.
 */
public final class StopCondition {
    private final Set<Integer> eosIds;
    private final List<String> stops;
    private final int maxTokens;

    public StopCondition(Set<Integer> eosIds, List<String> stops, int maxTokens) {
        this.eosIds = Set.copyOf(eosIds);
        this.stops = List.copyOf(stops);
        this.maxTokens = maxTokens;
    }

    public boolean isEos(int token) { return eosIds.contains(token); }

    public boolean reachedLength(int generated) { return generated >= maxTokens; }

    /** Index where the first stop string begins in text, searching from {@code from}; -1 if none. */
    public int stopIndex(String text, int from) {
        int best = -1;
        for (String s : stops) {
            if (s.isEmpty()) continue;
            int i = text.indexOf(s, Math.max(0, from));
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /**
     * Length of the longest suffix of {@code text} that is a proper prefix of a stop string: those characters may
     * become a stop once more text arrives, so a streaming caller holds them back. 0 without stop strings.
     */
    public int partialStopSuffix(CharSequence text) {
        int best = 0;
        int n = text.length();
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, n); len > best; len--) {
                if (endsWith(text, s, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    private static boolean endsWith(CharSequence text, String stop, int len) {
        int off = text.length() - len;
        for (int i = 0; i < len; i++) if (text.charAt(off + i) != stop.charAt(i)) return false;
        return true;
    }

    /** Longest stop string: text within this many chars of the end may still become a stop (hold it back when streaming). */
    public int holdBack() {
        int n = 0;
        for (String s : stops) n = Math.max(n, s.length() - 1);
        return n;
    }
}
