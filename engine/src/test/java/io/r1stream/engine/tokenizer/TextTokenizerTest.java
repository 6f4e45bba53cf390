package io.r1stream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TextTokenizerTest {

    @TempDir static Path modelDir;
    static TokenizerSpec spec;
    static TextTokenizer tok;

    @TempDir Path tmp;

    @BeforeAll
    static void generate() {
        spec = TokenizerGenerator.write(modelDir, 1024);
        tok = TextTokenizer.load(modelDir);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Hello, world! The answer is 42.",
        "  leading spaces, tabs\tand\nnew lines\n\n",
        "def add(a, b):\n    return a + b\n",
        "你好，世界。答案是四十二。",
        "Emoji: 😀👍🎉🚀 ❤️ 🤔 and a family 👨‍👩‍👧",
        "Fullwidth bars ｜ and ▁ blocks outside tokens: ｜User｜",
        "café naïve Zürich Ω π ∑ √ ∞ € £ ¥",
        ""
    })
    void decodeOfEncodeIsTheText(String text) {
        assertThat(tok.decode(tok.encode(text))).isEqualTo(text);
    }

    @Test
    void specialTokenStringsInTextBecomeTheirSingleIds() {
        int[] ids = tok.encode("<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>\nhmm</think>ok<｜end▁of▁sentence｜>");

        assertThat(ids[0]).isEqualTo(spec.bosId());
        assertThat(ids[1]).isEqualTo(spec.userId());
        assertThat(ids).contains(spec.assistantId(), spec.thinkId(), spec.endThinkId());
        assertThat(ids[ids.length - 1]).isEqualTo(spec.eosId());
        for (String special : R1SpecialTokens.IN_ID_ORDER) {
            assertThat(tok.encode(special)).as(special).containsExactly(tok.tokenId(special).getAsInt());
        }
    }

    @Test
    void encodingAddsNoBosEvenThoughThePostProcessorWould() {
        assertThat(tok.encode("hi")).doesNotContain(spec.bosId());
    }

    @Test
    void decodeKeepsOrSkipsSpecialTokensButNeverThink() {
        int[] ids = tok.encode("<｜User｜>Q<｜Assistant｜><think>\nr</think>A<｜end▁of▁sentence｜>");

        assertThat(tok.decode(ids)).isEqualTo("<｜User｜>Q<｜Assistant｜><think>\nr</think>A<｜end▁of▁sentence｜>");
        assertThat(tok.decode(ids, true)).isEqualTo("Q<think>\nr</think>A");
    }

    @Test
    void textLongerThan512TokensIsNotTruncated() {
        String text = "The quick brown fox jumps over the lazy dog 1234567890. ".repeat(100);
        int[] ids = tok.encode(text);

        assertThat(ids.length).isGreaterThan(2000);
        assertThat(tok.decode(ids)).isEqualTo(text);
    }

    @Test
    void tokenIdAndVocabSizeFollowTheFile() {
        assertThat(tok.vocabSize()).isEqualTo(spec.totalTokens());
        assertThat(tok.tokenId("<think>")).hasValue(spec.thinkId());
        assertThat(tok.tokenId("<｜▁pad▁｜>")).hasValue(spec.padId());
        assertThat(tok.tokenId("Ġ")).hasValue(' ');
        assertThat(tok.tokenId("a")).hasValue('a');
        assertThat(tok.tokenId("no such token")).isEmpty();
    }

    @Test
    void missingTokenizerJsonNamesTheFile() {
        assertThatThrownBy(() -> TextTokenizer.load(tmp))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(tmp.resolve("tokenizer.json").toAbsolutePath().toString())
                .hasMessageContaining("TokenizerGenerator");
    }

    @Test
    void invalidJsonNamesTheFile() throws Exception {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{ this is not json", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> TextTokenizer.load(tmp))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("JSON");
    }

    @Test
    void jsonThatIsNoTokenizerNamesTheFileAndWhatIsMissing() throws Exception {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\"}}", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> TextTokenizer.load(file))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("model.vocab");
    }

    @Test
    void tokenizerJsonTheNativeLibraryRejectsNamesTheFile() throws Exception {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {}}}", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> TextTokenizer.load(file))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("Hugging Face tokenizer");
    }
}
