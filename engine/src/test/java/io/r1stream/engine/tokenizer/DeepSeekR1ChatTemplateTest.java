package io.r1stream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeepSeekR1ChatTemplateTest {

    @TempDir static Path modelDir;
    static TokenizerSpec spec;
    static TextTokenizer tok;

    static final String SYSTEM = "You are concise.";
    static final List<ChatMessage> THREE_TURNS = List.of(
            ChatMessage.user("What is 2+2?"),
            ChatMessage.assistant("<think>\nTwo plus two.\n</think>\n\n4"),
            ChatMessage.user("And 3+3?"),
            ChatMessage.assistant("6"),
            ChatMessage.user("Summarize."));

    @BeforeAll
    static void generate() {
        spec = TokenizerGenerator.write(modelDir, 512);
        tok = TextTokenizer.load(modelDir);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void rendersThreeTurnsLikeTheJinjaTemplate() {
        String rendered = new DeepSeekR1ChatTemplate().render(SYSTEM, THREE_TURNS, true);

        assertThat(rendered).isEqualTo("<｜begin▁of▁sentence｜>You are concise."
                + "<｜User｜>What is 2+2?<｜Assistant｜>\n\n4<｜end▁of▁sentence｜>"
                + "<｜User｜>And 3+3?<｜Assistant｜>6<｜end▁of▁sentence｜>"
                + "<｜User｜>Summarize.<｜Assistant｜><think>\n");
    }

    @Test
    void tokenIdsHaveEachControlTokenAsOneIdInPlace() {
        int[] ids = new DeepSeekR1ChatTemplate().renderIds(tok, SYSTEM, THREE_TURNS, true);

        int[] expected = concat(
                new int[] {spec.bosId()}, tok.encode(SYSTEM),
                new int[] {spec.userId()}, tok.encode("What is 2+2?"),
                new int[] {spec.assistantId()}, tok.encode("\n\n4"), new int[] {spec.eosId()},
                new int[] {spec.userId()}, tok.encode("And 3+3?"),
                new int[] {spec.assistantId()}, tok.encode("6"), new int[] {spec.eosId()},
                new int[] {spec.userId()}, tok.encode("Summarize."),
                new int[] {spec.assistantId(), spec.thinkId()}, tok.encode("\n"));
        assertThat(ids).containsExactly(expected);
        assertThat(ids[0]).isEqualTo(spec.bosId());
        assertThat(ids[ids.length - 2]).isEqualTo(spec.thinkId());
        assertThat(IntStream.of(ids).filter(id -> id == spec.userId()).count()).isEqualTo(3);
        assertThat(IntStream.of(ids).filter(id -> id == spec.eosId()).count()).isEqualTo(2);
        assertThat(ids).doesNotContain(spec.endThinkId()); // earlier reasoning is gone
        assertThat(IntStream.of(ids).allMatch(id -> id >= 0 && id < spec.totalTokens())).isTrue();
    }

    @Test
    void historyReusesThePreviousPromptOnlyThroughItsAssistantMarker() {
        DeepSeekR1ChatTemplate template = new DeepSeekR1ChatTemplate();
        int[] turnOnePrompt = template.renderIds(tok, null, THREE_TURNS.subList(0, 1), true);
        int[] turnTwoPrompt = template.renderIds(tok, null, THREE_TURNS.subList(0, 3), true);

        int common = commonPrefix(turnOnePrompt, turnTwoPrompt);
        // The previous prompt ended <｜Assistant｜><think>\n; the new history drops <think>, so reuse stops after <｜Assistant｜>.
        assertThat(common).isEqualTo(turnOnePrompt.length - 1 - tok.encode("\n").length);
        assertThat(turnTwoPrompt[common - 1]).isEqualTo(spec.assistantId());
    }

    @Test
    void keepReasoningKeepsEarlierThinking() {
        String rendered = new DeepSeekR1ChatTemplate(true).render(null, THREE_TURNS.subList(0, 2), false);

        assertThat(rendered).isEqualTo("<｜begin▁of▁sentence｜><｜User｜>What is 2+2?"
                + "<｜Assistant｜><think>\nTwo plus two.\n</think>\n\n4<｜end▁of▁sentence｜>");
    }

    @Test
    void answerIsCutAfterTheLastEndThink() {
        assertThat(DeepSeekR1ChatTemplate.withoutReasoning("a</think>b</think>c")).isEqualTo("c");
        assertThat(DeepSeekR1ChatTemplate.withoutReasoning("no reasoning")).isEqualTo("no reasoning");
    }

    @Test
    void noSystemAndNoGenerationPrompt() {
        assertThat(new DeepSeekR1ChatTemplate().render(null, List.of(ChatMessage.user("hi")), false))
                .isEqualTo("<｜begin▁of▁sentence｜><｜User｜>hi");
    }

    @Test
    void systemTurnIsRejectedWithTheFix() {
        List<ChatMessage> turns = List.of(new ChatMessage(ChatMessage.Role.SYSTEM, "be brief"));

        assertThatThrownBy(() -> new DeepSeekR1ChatTemplate().render(null, turns, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Turn 0")
                .hasMessageContaining("pass the system prompt as render's first argument");
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = 0;
        while (n < a.length && n < b.length && a[n] == b[n]) {
            n++;
        }
        return n;
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }
}
