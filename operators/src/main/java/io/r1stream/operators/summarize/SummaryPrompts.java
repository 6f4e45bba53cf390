package io.r1stream.operators.summarize;

import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.ReasoningSplitter;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.engine.tokenizer.R1SpecialTokens;
import io.r1stream.operators.PromptCodec;

import java.util.List;

/**
 * The prompts of the map and reduce steps, rendered with the model's chat template. DeepSeek recommends no
 * system prompt for R1, so the instruction is in the user turn. Without thinking, the generation prompt
 * ({@code <｜Assistant｜><think>\n}) is followed by {@code \n</think>\n\n}: an empty reasoning block, after which
 * the model writes the answer directly.
 */
final class SummaryPrompts {
    /** Tokens the instruction and template add around a chunk or group, at most (checked against the context). */
    static final int OVERHEAD_TOKENS = 96;
    private static final String CLOSE_EMPTY_THINK = "\n" + R1SpecialTokens.END_THINK + "\n\n";

    private final PromptCodec codec;
    private final boolean thinking;

    SummaryPrompts(PromptCodec codec, boolean thinking) {
        this.codec = codec;
        this.thinking = thinking;
    }

    static String mapInstruction(int part, int parts, String text) {
        String what = parts == 1 ? "the following text" : "part " + part + " of " + parts + " of a document";
        return "Summarize " + what + " in a few sentences. Reply with the summary only.\n\n" + text;
    }

    static String reduceInstruction(List<String> summaries, int firstPart) {
        StringBuilder sb = new StringBuilder("These are summaries of consecutive parts of one document. Combine them into one "
                + "summary of the whole, in a few sentences. Reply with the summary only.");
        for (int i = 0; i < summaries.size(); i++) sb.append(partLabel(firstPart + i)).append(summaries.get(i));
        return sb.toString();
    }

    static String partLabel(int part) { return "\n\nPart " + part + ": "; }

    int[] render(String instruction) {
        int[] ids = codec.render(null, List.of(ChatMessage.user(instruction)));
        if (thinking) return ids;
        int[] close = codec.tokenize(CLOSE_EMPTY_THINK);
        int[] out = java.util.Arrays.copyOf(ids, ids.length + close.length);
        System.arraycopy(close, 0, out, ids.length, close.length);
        return out;
    }

    /**
     * The answer of an output, reasoning removed; null when the output is reasoning only (thinking on and
     * {@code </think>} never came).
     */
    String answerOf(String output) {
        if (!thinking) return withoutReasoning(output).strip();
        ReasoningSplit split = ReasoningSplitter.split(output);
        return split.reasoningEnded() ? withoutReasoning(split.content()).strip() : null;
    }

    /**
     * Text with any reasoning the model opened anyway removed: {@code <think>...</think>} blocks (an unclosed one
     * to the end), and everything up to a stray {@code </think>}.
     */
    static String withoutReasoning(String text) {
        String s = text;
        for (int open = s.indexOf(R1SpecialTokens.THINK); open >= 0; open = s.indexOf(R1SpecialTokens.THINK)) {
            int close = s.indexOf(R1SpecialTokens.END_THINK, open);
            s = close < 0 ? s.substring(0, open) : s.substring(0, open) + s.substring(close + R1SpecialTokens.END_THINK.length());
        }
        int stray = s.lastIndexOf(R1SpecialTokens.END_THINK);
        return stray < 0 ? s : s.substring(stray + R1SpecialTokens.END_THINK.length());
    }
}
