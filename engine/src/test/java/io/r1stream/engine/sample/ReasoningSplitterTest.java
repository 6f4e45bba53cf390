package io.r1stream.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReasoningSplitterTest {

    @Test
    void withOpeningTag() {
        assertThat(ReasoningSplitter.split("<think>a</think>b")).isEqualTo(new ReasoningSplit("a", "b", true));
    }

    /** R1's generation prompt ends with "<think>\n", so the output itself has no opening tag (vllm#13125). */
    @Test
    void withoutOpeningTag() {
        assertThat(ReasoningSplitter.split("a</think>b")).isEqualTo(new ReasoningSplit("a", "b", true));
    }

    @Test
    void noEndTagMeansStillReasoning() {
        assertThat(ReasoningSplitter.split("still thinking")).isEqualTo(new ReasoningSplit("still thinking", "", false));
        assertThat(ReasoningSplitter.split("<think>still")).isEqualTo(new ReasoningSplit("still", "", false));
    }

    @Test
    void emptyOutputs() {
        assertThat(ReasoningSplitter.split("")).isEqualTo(new ReasoningSplit("", "", false));
        assertThat(ReasoningSplitter.split("</think>")).isEqualTo(new ReasoningSplit("", "", true));
        assertThat(ReasoningSplitter.split("<think></think>answer")).isEqualTo(new ReasoningSplit("", "answer", true));
        assertThat(ReasoningSplitter.split("r</think>").hasContent()).isFalse();
    }

    @Test
    void splitsAtTheFirstEndTagLikeVllm() {
        assertThat(ReasoningSplitter.split("a</think>b</think>c")).isEqualTo(new ReasoningSplit("a", "b</think>c", true));
    }

    @Test
    void textBeforeOpeningTagIsDroppedLikeVllm() {
        assertThat(ReasoningSplitter.split("junk<think>a</think>b")).isEqualTo(new ReasoningSplit("a", "b", true));
    }

    @Test
    void partsAreNotTrimmedUnlessAsked() {
        ReasoningSplit split = ReasoningSplitter.split("\nLet me think.\n</think>\n\nThe answer is 4.\n");

        assertThat(split).isEqualTo(new ReasoningSplit("\nLet me think.\n", "\n\nThe answer is 4.\n", true));
        assertThat(split.withoutSurroundingNewlines())
                .isEqualTo(new ReasoningSplit("Let me think.", "The answer is 4.", true));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<think>\nreason\n</think>\n\nanswer",
        "\nreason\n</think>\n\nanswer",
        "reason only, cut off",
        "<think>reason only",
        "a</think>b</think>c",
        "</think>",
        "<thi",
        "x</th",
        ""
    })
    void streamingPiecesAddUpToTheWholeSplit(String output) {
        for (int chunk = 1; chunk <= 4; chunk++) {
            StreamingReasoningSplitter streaming = new StreamingReasoningSplitter();
            StringBuilder reasoning = new StringBuilder();
            StringBuilder content = new StringBuilder();
            boolean ended = false;
            for (String delta : chunks(output, chunk)) {
                ReasoningSplit piece = streaming.accept(delta);
                reasoning.append(piece.reasoning());
                content.append(piece.content());
                ended = piece.reasoningEnded();
            }
            ReasoningSplit last = streaming.finish();
            reasoning.append(last.reasoning());
            content.append(last.content());
            ended = ended || last.reasoningEnded();

            assertThat(new ReasoningSplit(reasoning.toString(), content.toString(), ended))
                    .as("chunks of %d", chunk).isEqualTo(ReasoningSplitter.split(output));
        }
    }

    @Test
    void streamingHoldsBackAPartialEndTag() {
        StreamingReasoningSplitter streaming = new StreamingReasoningSplitter();

        assertThat(streaming.accept("abc</th")).isEqualTo(new ReasoningSplit("abc", "", false));
        assertThat(streaming.accept("ink>answer")).isEqualTo(new ReasoningSplit("", "answer", true));
    }

    private static List<String> chunks(String s, int size) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < s.length(); i += size) {
            out.add(s.substring(i, Math.min(s.length(), i + size)));
        }
        return out;
    }
}
