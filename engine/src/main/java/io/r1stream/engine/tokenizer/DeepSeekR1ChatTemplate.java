package io.r1stream.engine.tokenizer;

import java.util.List;

/**
 * The DeepSeek-R1(-Distill) chat format, rendered in Java exactly as the (early-2025) Jinja
 * {@code chat_template} of its tokenizer_config.json renders it:
 * <pre>
 * &lt;｜begin▁of▁sentence｜&gt; system-text
 *   &lt;｜User｜&gt; user-text
 *   &lt;｜Assistant｜&gt; answer-without-reasoning &lt;｜end▁of▁sentence｜&gt;
 *   ...
 *   &lt;｜Assistant｜&gt;&lt;think&gt;\n          (generation prompt)
 * </pre>
 * (without the spaces). The system prompt is raw text with no role marker (DeepSeek recommends none).
 *
 * <h2>Why a cached KV is reusable only up to the previous answer</h2>
 * When the model answered turn N, its KV cache covered {@code ...<｜Assistant｜><think>\n reasoning
 * </think> answer}. When turn N+1 is rendered, that assistant turn becomes
 * {@code <｜Assistant｜> answer<｜end▁of▁sentence｜>}: the reasoning (and the {@code <think>\n} of the
 * generation prompt) is gone. The token sequences therefore agree only up to and including that
 * {@code <｜Assistant｜>}; everything after it must be prefilled again. Prefix matching on token ids
 * (not on this class's knowledge) is what finds that point. With {@code keepReasoning} the history keeps
 * the reasoning, so the prefix stays longer, at the cost of prompts the model was not trained on.
 *
 * <p>{@link #render} inserts text verbatim (as the Jinja template does), but {@link #renderIds}, what the
 * engine is fed, builds the ids piece by piece: the control tokens it writes itself, and every piece of
 * content through {@link TextTokenizer#encodePlain}, so a user who types {@code <｜User｜>} or
 * {@code <think>} gets those characters as plain text, not the control tokens: nobody can forge a turn.
 * For content without such strings the ids equal {@code encode(render(...))}.
 */
public final class DeepSeekR1ChatTemplate {

    /** What the model's output begins after: it starts inside its reasoning, with no opening tag. */
    public static final String GENERATION_PROMPT = R1SpecialTokens.ASSISTANT + R1SpecialTokens.THINK + "\n";

    private final boolean keepReasoning;

    /** The standard template: earlier turns' reasoning is dropped. */
    public DeepSeekR1ChatTemplate() {
        this(false);
    }

    /** @param keepReasoning keep earlier assistant turns' {@code <think>...</think>} part in the history */
    public DeepSeekR1ChatTemplate(boolean keepReasoning) {
        this.keepReasoning = keepReasoning;
    }

    /**
     * Renders a conversation.
     *
     * @param system              system prompt, or null for none
     * @param turns               user and assistant turns, oldest first (no SYSTEM turns: pass it as {@code system})
     * @param addGenerationPrompt end with {@link #GENERATION_PROMPT} so the model answers next
     */
    public String render(String system, List<ChatMessage> turns, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder(R1SpecialTokens.BOS);
        if (system != null) {
            sb.append(system);
        }
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage turn = turns.get(i);
            switch (turn.role()) {
                case USER -> sb.append(R1SpecialTokens.USER).append(turn.content());
                case ASSISTANT -> sb.append(R1SpecialTokens.ASSISTANT)
                        .append(keepReasoning ? turn.content() : withoutReasoning(turn.content()))
                        .append(R1SpecialTokens.EOS);
                case SYSTEM -> throw new IllegalArgumentException("Turn " + i + " has role SYSTEM; DeepSeek-R1 has"
                        + " no system turns: pass the system prompt as render's first argument");
            }
        }
        if (addGenerationPrompt) {
            sb.append(GENERATION_PROMPT);
        }
        return sb.toString();
    }

    /** The ids to prefill: {@link #render}'s layout, with content encoded as plain text (see the class comment). */
    public int[] renderIds(TextTokenizer tokenizer, String system, List<ChatMessage> turns, boolean addGenerationPrompt) {
        IdBuffer ids = new IdBuffer();
        ids.add(tokenizer.controlTokenId(R1SpecialTokens.BOS));
        if (system != null) ids.add(tokenizer.encodePlain(system));
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage turn = turns.get(i);
            switch (turn.role()) {
                case USER -> {
                    ids.add(tokenizer.controlTokenId(R1SpecialTokens.USER));
                    ids.add(tokenizer.encodePlain(turn.content()));
                }
                case ASSISTANT -> {
                    ids.add(tokenizer.controlTokenId(R1SpecialTokens.ASSISTANT));
                    ids.add(tokenizer.encodePlain(keepReasoning ? turn.content() : withoutReasoning(turn.content())));
                    ids.add(tokenizer.controlTokenId(R1SpecialTokens.EOS));
                }
                case SYSTEM -> throw new IllegalArgumentException("Turn " + i + " has role SYSTEM; DeepSeek-R1 has"
                        + " no system turns: pass the system prompt as renderIds' second argument");
            }
        }
        if (addGenerationPrompt) {
            ids.add(tokenizer.controlTokenId(R1SpecialTokens.ASSISTANT));
            ids.add(tokenizer.controlTokenId(R1SpecialTokens.THINK));
            ids.add(tokenizer.encode("\n"));
        }
        return ids.toArray();
    }

    /** A growable int[]. */
    private static final class IdBuffer {
        private int[] a = new int[256];
        private int n;

        void add(int id) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n);
            a[n++] = id;
        }

        void add(int[] ids) { for (int id : ids) add(id); }

        int[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }

    /** What the template keeps of an answer: the text after the LAST {@code </think>} (Jinja's split()[-1]). */
    static String withoutReasoning(String content) {
        int end = content.lastIndexOf(R1SpecialTokens.END_THINK);
        return end < 0 ? content : content.substring(end + R1SpecialTokens.END_THINK.length());
    }
}
