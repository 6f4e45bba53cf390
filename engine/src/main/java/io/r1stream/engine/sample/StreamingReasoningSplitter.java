package io.r1stream.engine.sample;

/**
 * {@link ReasoningSplitter} for streamed text: fed the text deltas of one output in order, it returns the
 * reasoning and content part of each delta. A delta that ends with what may be the start of a tag
 * ({@code "</th"}) is held back until the next delta decides, so tags split across deltas are still found.
 * The concatenated pieces plus {@link #finish()} equal {@link ReasoningSplitter#split} of the whole text
 * whenever the output either starts with {@code <think>} or has none.
 *
 * <p>One instance per output, one thread.
 */
public final class StreamingReasoningSplitter {

    private enum Phase { AT_START, REASONING, CONTENT }

    private Phase phase = Phase.AT_START;
    private final StringBuilder pending = new StringBuilder(); // held back: may be the start of a tag

    /** The reasoning/content parts of one text delta; {@code reasoningEnded} once {@code </think>} was seen. */
    public ReasoningSplit accept(String delta) {
        pending.append(delta);
        return drain(false);
    }

    /** Releases held-back text at the end of the output. */
    public ReasoningSplit finish() {
        return drain(true);
    }

    private ReasoningSplit drain(boolean last) {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        if (phase == Phase.AT_START) {
            if (pending.length() < ReasoningSplitter.START.length()
                    && ReasoningSplitter.START.startsWith(pending.toString()) && !last) {
                return new ReasoningSplit("", "", false); // could still become "<think>"
            }
            if (pending.indexOf(ReasoningSplitter.START) == 0) {
                pending.delete(0, ReasoningSplitter.START.length());
            }
            phase = Phase.REASONING;
        }
        if (phase == Phase.REASONING) {
            int end = pending.indexOf(ReasoningSplitter.END);
            if (end >= 0) {
                reasoning.append(pending, 0, end);
                pending.delete(0, end + ReasoningSplitter.END.length());
                phase = Phase.CONTENT;
            } else {
                int keep = last ? 0 : partialTagSuffix(pending, ReasoningSplitter.END);
                reasoning.append(pending, 0, pending.length() - keep);
                pending.delete(0, pending.length() - keep);
            }
        }
        if (phase == Phase.CONTENT) {
            content.append(pending);
            pending.setLength(0);
        }
        return new ReasoningSplit(reasoning.toString(), content.toString(), phase == Phase.CONTENT);
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of {@code tag}. */
    private static int partialTagSuffix(CharSequence text, String tag) {
        for (int len = Math.min(tag.length() - 1, text.length()); len > 0; len--) {
            if (tag.startsWith(text.subSequence(text.length() - len, text.length()).toString())) {
                return len;
            }
        }
        return 0;
    }
}
