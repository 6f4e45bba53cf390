package io.r1stream.serve;

import java.util.List;

/**
 * Holds back streamed text that could still be the start of a stop string. The engine matches stop strings
 * on its accumulated text, so a stop that spans tokens ({@code "EN"} + {@code "D"} for {@code "END"}) is
 * detected only at its last token, after the first part was already streamed. Releasing only text that
 * cannot be a stop prefix keeps the stream equal to the final (cut) text; {@link #finish} releases the rest
 * from the engine's final text.
 *
 * <p>One instance per streamed output, one thread.
 */
final class StopTextHoldBack {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private int released; // chars handed out so far

    StopTextHoldBack(List<String> stops) {
        this.stops = stops;
    }

    /** Adds a delta from the engine and returns the part that is safe to send now (may be ""). */
    String accept(String delta) {
        pending.append(delta);
        int keep = longestStopPrefixSuffix();
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, out.length());
        released += out.length();
        return out;
    }

    /** The rest of the final text (what the engine kept after cutting at a stop string). */
    String finish(String finalText) {
        return finalText.length() > released ? finalText.substring(released) : "";
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of some stop string. */
    private int longestStopPrefixSuffix() {
        int best = 0;
        String text = pending.toString();
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, text.length()); len > best; len--) {
                if (text.regionMatches(text.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
