package io.r1stream.operators.summarize;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chunking with a whitespace "tokenizer" (one token per word), so the expected chunks can be written out. */
class TextChunkerTest {
    private static int words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    @Test
    void cutsBetweenSentencesWithinTheBudgetAndRepeatsTheLastSentenceAsOverlap() {
        String text = "One two three. Four five six. Seven eight nine.\n\nTen eleven twelve. Thirteen fourteen fifteen.";
        List<TextChunker.Chunk> chunks = new TextChunker(TextChunkerTest::words, 7, 3).split(text);
        assertThat(chunks).extracting(TextChunker.Chunk::text).containsExactly(
                "One two three. Four five six.",
                "Four five six. Seven eight nine.",
                "Seven eight nine.\n\nTen eleven twelve.",
                "Ten eleven twelve. Thirteen fourteen fifteen.");
        assertThat(chunks).allSatisfy(c -> assertThat(c.tokens()).isLessThanOrEqualTo(7).isEqualTo(words(c.text())));
    }

    @Test
    void withoutOverlapEverySentenceAppearsOnceInOrder() {
        StringBuilder sb = new StringBuilder();
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String s = "Sentence " + i + " has " + "word ".repeat(i % 7).strip() + " end.";
            sentences.add(s.replaceAll("\\s+", " "));
            sb.append(s).append(i % 5 == 4 ? "\n\n" : " ");
        }
        List<TextChunker.Chunk> chunks = new TextChunker(TextChunkerTest::words, 20, 0).split(sb.toString());
        List<String> back = new ArrayList<>();
        for (TextChunker.Chunk c : chunks) {
            assertThat(c.tokens()).isLessThanOrEqualTo(20);
            back.addAll(Arrays.asList(c.text().replaceAll("\\s+", " ").split("(?<=\\.) ")));
        }
        assertThat(back).containsExactlyElementsOf(sentences);
    }

    @Test
    void cutsASentenceLongerThanAChunkBetweenWordsAndAWordBetweenCharacters() {
        List<TextChunker.Chunk> chunks = new TextChunker(s -> (s.strip().length() + 3) / 4, 4, 0)
                .split("aaaa bbbb cccc dddd eeee ffff " + "x".repeat(40) + ".");
        assertThat(chunks).allSatisfy(c -> assertThat(c.tokens()).isLessThanOrEqualTo(4));
        assertThat(String.join("", chunks.stream().map(TextChunker.Chunk::text).toList()).replace(" ", ""))
                .isEqualTo("aaaabbbbccccddddeeeeffff" + "x".repeat(40) + ".");
    }

    @Test
    void blankTextHasNoChunksAndBadLimitsAreRefused() {
        assertThat(new TextChunker(TextChunkerTest::words, 8, 2).split(" \n\n \t")).isEmpty();
        assertThatThrownBy(() -> new TextChunker(TextChunkerTest::words, 8, 8)).hasMessageContaining("overlapTokens < maxTokens");
    }

    @Test
    void requestSeedsDependOnDocumentRoundIndexAndAttemptOnly() {
        long a = DocumentSummarizer.requestSeed(42, "doc", 0, 3, 1);
        assertThat(DocumentSummarizer.requestSeed(42, "doc", 0, 3, 1)).isEqualTo(a);
        assertThat(List.of(DocumentSummarizer.requestSeed(43, "doc", 0, 3, 1), DocumentSummarizer.requestSeed(42, "doc2", 0, 3, 1),
                DocumentSummarizer.requestSeed(42, "doc", 1, 3, 1), DocumentSummarizer.requestSeed(42, "doc", 0, 4, 1),
                DocumentSummarizer.requestSeed(42, "doc", 0, 3, 2))).doesNotContain(a).doesNotHaveDuplicates();
    }
}
