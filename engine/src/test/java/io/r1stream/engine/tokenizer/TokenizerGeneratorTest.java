package io.r1stream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerGeneratorTest {

    @TempDir Path tmp;

    @Test
    void sameSizeGivesByteIdenticalFiles() throws Exception {
        TokenizerSpec a = TokenizerGenerator.write(tmp.resolve("a"), 512);
        TokenizerSpec b = TokenizerGenerator.write(tmp.resolve("b"), 512);

        assertThat(a).isEqualTo(b);
        for (String file : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            assertThat(Files.readAllBytes(tmp.resolve("a").resolve(file)))
                    .isEqualTo(Files.readAllBytes(tmp.resolve("b").resolve(file)));
        }
    }

    @Test
    void specNumbersAddedTokensAfterTheBpeVocabulary() {
        TokenizerSpec spec = TokenizerGenerator.write(tmp, 512);

        assertThat(spec.bpeVocabSize()).isEqualTo(512);
        assertThat(spec.totalTokens()).isEqualTo(519);
        assertThat(new int[] {spec.bosId(), spec.eosId(), spec.padId(), spec.userId(), spec.assistantId(),
                spec.thinkId(), spec.endThinkId()}).containsExactly(512, 513, 514, 515, 516, 517, 518);
    }

    @Test
    void tokenizerJsonHasQwen2LayoutAndR1AddedTokens() throws Exception {
        TokenizerSpec spec = TokenizerGenerator.write(tmp, 600);
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("tokenizer.json").toFile());

        assertThat(json.path("model").path("type").asText()).isEqualTo("BPE");
        assertThat(json.path("model").path("vocab").size()).isEqualTo(600);
        assertThat(json.path("model").path("vocab").path("Ġ").asInt()).isEqualTo(' ');
        assertThat(json.path("pre_tokenizer").path("pretokenizers").get(0).path("type").asText()).isEqualTo("Split");
        assertThat(json.path("pre_tokenizer").path("pretokenizers").get(1).path("type").asText()).isEqualTo("ByteLevel");
        assertThat(json.path("decoder").path("type").asText()).isEqualTo("ByteLevel");
        JsonNode added = json.path("added_tokens");
        assertThat(added.size()).isEqualTo(7);
        assertThat(added.get(0).path("content").asText()).isEqualTo("<｜begin▁of▁sentence｜>");
        assertThat(added.get(0).path("special").asBoolean()).isTrue();
        assertThat(added.get(5).path("content").asText()).isEqualTo("<think>");
        assertThat(added.get(5).path("special").asBoolean()).isFalse();
        assertThat(added.get(6).path("id").asInt()).isEqualTo(spec.endThinkId());
    }

    @Test
    void tokenizerConfigCarriesR1TokensAndChatTemplate() throws Exception {
        TokenizerGenerator.write(tmp, 512);
        JsonNode config = new ObjectMapper().readTree(tmp.resolve("tokenizer_config.json").toFile());

        assertThat(config.path("bos_token").asText()).isEqualTo(R1SpecialTokens.BOS);
        assertThat(config.path("eos_token").asText()).isEqualTo(R1SpecialTokens.EOS);
        assertThat(config.path("pad_token").asText()).isEqualTo(R1SpecialTokens.PAD);
        assertThat(config.path("add_bos_token").asBoolean()).isTrue();
        assertThat(config.path("model_max_length").asInt()).isEqualTo(16384);
        assertThat(config.path("tokenizer_class").asText()).isEqualTo("LlamaTokenizerFast");
        assertThat(config.path("chat_template").asText())
                .startsWith("{% if not add_generation_prompt is defined %}")
                .contains("{% set content = content.split('</think>')[-1] %}")
                .endsWith("{{'<｜Assistant｜><think>\\n'}}{% endif %}");
    }

    @Test
    void largeVocabularyIsFilledExactlyAndLearnsCommonWords() {
        TokenizerSpec spec = TokenizerGenerator.write(tmp, 4096);

        assertThat(spec.totalTokens()).isEqualTo(4096 + 7);
        try (TextTokenizer tok = TextTokenizer.load(tmp)) {
            assertThat(tok.vocabSize()).isEqualTo(spec.totalTokens());
            assertThat(tok.encode(" think")).hasSize(1);
            assertThat(tok.encode(" answer")).hasSize(1);
            assertThat(tok.encode(" summary")).hasSize(1);
            String text = "Let me think about the answer: 17 + 25 = 42. 你好 😀";
            assertThat(tok.decode(tok.encode(text))).isEqualTo(text);
        }
    }

    @Test
    void rejectsAVocabularySmallerThanTheByteTokens() {
        assertThatThrownBy(() -> TokenizerGenerator.write(tmp, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bpeVocabSize must be between 256")
                .hasMessageContaining("was 100");
    }
}
