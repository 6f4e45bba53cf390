package io.r1stream.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingDetokenizerTest {

    @TempDir static Path modelDir;
    static TextTokenizer tok;

    @BeforeAll
    static void generate() {
        TokenizerGenerator.write(modelDir, 512);
        tok = TextTokenizer.load(modelDir);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void deltasConcatenateToTheFullDecodeAcrossSplitCharacters() {
        String text = "<think>\nLet me think: 你好 😀🚀 café ｜x｜</think>\n\nThe answer is 42.<｜end▁of▁sentence｜>";
        int[] ids = tok.encode(text);
        // Precondition: some character really is split over several tokens, else the test proves nothing.
        assertThat(ids.length).isGreaterThan(text.codePointCount(0, text.length()) / 2);

        StreamingDetokenizer detok = tok.newStreamingDetokenizer(false);
        List<String> deltas = new ArrayList<>();
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            String delta = detok.accept(id);
            deltas.add(delta);
            streamed.append(delta);
        }
        streamed.append(detok.flush());

        assertThat(streamed.toString()).isEqualTo(tok.decode(ids)).isEqualTo(text);
        assertThat(deltas).noneMatch(d -> d.indexOf('\uFFFD') >= 0);
        assertThat(deltas).contains(""); // the emoji's first bytes were held back
    }

    @Test
    void emojiBytesAreHeldBackUntilTheCharacterIsComplete() {
        int[] ids = tok.encode("😀");
        assertThat(ids.length).as("one emoji is several byte tokens in a 512 vocabulary").isGreaterThan(1);

        StreamingDetokenizer detok = tok.newStreamingDetokenizer(false);
        for (int i = 0; i < ids.length - 1; i++) {
            assertThat(detok.accept(ids[i])).isEmpty();
        }
        assertThat(detok.accept(ids[ids.length - 1])).isEqualTo("😀");
        assertThat(detok.flush()).isEmpty();
    }

    @Test
    void incompleteCharacterAtTheEndComesOutOnFlushAsFullDecodingShowsIt() {
        int[] emoji = tok.encode("😀");
        int[] ids = new int[] {tok.encode("a")[0], emoji[0]};

        StreamingDetokenizer detok = tok.newStreamingDetokenizer(false);
        String streamed = detok.accept(ids[0]) + detok.accept(ids[1]) + detok.flush();

        assertThat(streamed).isEqualTo(tok.decode(ids)).endsWith("\uFFFD");
    }

    @Test
    void skippingSpecialTokensDropsEosButKeepsThink() {
        int[] ids = tok.encode("<think>ok</think>done<｜end▁of▁sentence｜>");
        StreamingDetokenizer detok = tok.newStreamingDetokenizer(true);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            streamed.append(detok.accept(id));
        }
        streamed.append(detok.flush());

        assertThat(streamed.toString()).isEqualTo("<think>ok</think>done");
    }
}
