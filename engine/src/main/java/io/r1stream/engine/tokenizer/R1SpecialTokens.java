package io.r1stream.engine.tokenizer;

import java.util.List;

/**
 * The DeepSeek-R1 control tokens, spelled exactly as in the released tokenizers. The bars are U+FF5C
 * (fullwidth vertical line) and the word separators U+2581 (lower one eighth block), not ASCII.
 */
public final class R1SpecialTokens {

    public static final String BOS = "<｜begin▁of▁sentence｜>";
    public static final String EOS = "<｜end▁of▁sentence｜>";
    public static final String PAD = "<｜▁pad▁｜>";
    public static final String USER = "<｜User｜>";
    public static final String ASSISTANT = "<｜Assistant｜>";
    /** Not special in R1's tokenizer (kept by skip-special decoding), but an added token: one id. */
    public static final String THINK = "<think>";
    /** Not special in R1's tokenizer (kept by skip-special decoding), but an added token: one id. */
    public static final String END_THINK = "</think>";

    /** All added tokens in id order, as {@link TokenizerGenerator} writes them after the BPE vocabulary. */
    static final List<String> IN_ID_ORDER = List.of(BOS, EOS, PAD, USER, ASSISTANT, THINK, END_THINK);

    private R1SpecialTokens() {}

    /** Whether HF should treat the token as special (skipped by {@code skip_special_tokens} decoding). */
    static boolean isSpecial(String token) {
        return !token.equals(THINK) && !token.equals(END_THINK);
    }
}
