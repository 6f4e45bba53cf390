package io.r1stream.engine.sample;

/**
 * Splits a DeepSeek-R1 output into reasoning and answer, as vLLM's {@code deepseek_r1} reasoning parser
 * does (vllm/reasoning/basic_parsers.py, {@code extract_reasoning}):
 * <ul>
 *   <li>if {@code <think>} occurs, only the text after its first occurrence is looked at;</li>
 *   <li>the output may lack {@code <think>}: R1's generation prompt already ends with {@code <think>\n},
 *       so the output starts inside the reasoning (vllm-project/vllm#13125);</li>
 *   <li>no {@code </think>}: the whole output is reasoning (generation stopped while thinking), no content;</li>
 *   <li>otherwise reasoning is the text before the FIRST {@code </think>} and content everything after it,
 *       later {@code </think>} strings included (unlike the chat template, which cuts at the last one).</li>
 * </ul>
 * Parts are not trimmed, as in vLLM; see {@link ReasoningSplit#withoutSurroundingNewlines()}.
 */
public final class ReasoningSplitter {

    static final String START = "<think>";
    static final String END = "</think>";

    private ReasoningSplitter() {}

    public static ReasoningSplit split(String output) {
        int start = output.indexOf(START);
        String rest = start < 0 ? output : output.substring(start + START.length());
        int end = rest.indexOf(END);
        if (end < 0) {
            return new ReasoningSplit(rest, "", false);
        }
        return new ReasoningSplit(rest.substring(0, end), rest.substring(end + END.length()), true);
    }
}
