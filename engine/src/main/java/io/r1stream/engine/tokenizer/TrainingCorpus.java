package io.r1stream.engine.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text the generated BPE tokenizer is trained on, already split into pre-tokens ("words") and counted.
 * Two parts: a few KB of varied English (plus some code, numbers, punctuation and non-Latin scripts) kept
 * as a resource, and an unlimited, seeded supplement of pronounceable pseudo-words that is used only when
 * the English runs out of merges, so that large vocabularies (4096+) can still be filled exactly.
 */
final class TrainingCorpus {

    /**
     * Qwen2's pre-tokenizer split (the Split regex in its tokenizer.json): contractions, letter runs with
     * one optional leading non-letter, single digits, punctuation runs, newlines, other whitespace.
     * Training with the same split as encoding means every learned merge can be used at encode time.
     */
    static final String QWEN2_SPLIT_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // Java's \s and \p{L} follow Unicode only with this flag; Rust's regex always does.
    private static final Pattern SPLIT = Pattern.compile(QWEN2_SPLIT_REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    private static final String RESOURCE = "bpe-corpus.txt";

    private static final String[] SYLLABLES = {
        "ka", "ri", "to", "ne", "su", "mo", "la", "vi", "de", "po", "shi", "tra", "ben", "cor", "dal", "fen",
        "gil", "hom", "jas", "kel", "lum", "mir", "nor", "pel", "qua", "ros", "sel", "tam", "ux", "vor",
        "wen", "yal", "zen", "ae", "io", "ou", "str", "pla", "gre", "bli", "chu", "dro", "eth", "fy", "gon"
    };

    private TrainingCorpus() {}

    /** The embedded English text, pre-tokenized: piece -> occurrences, sorted for determinism. */
    static SortedMap<String, Long> englishWords() {
        try (InputStream in = TrainingCorpus.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Resource " + RESOURCE + " is missing from the engine jar;"
                        + " rebuild the engine module.");
            }
            return countPieces(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read resource " + RESOURCE, e);
        }
    }

    /**
     * Seeded pseudo-words (" kaben", " trosel", ...): the same {@code wordCount} always gives the same text.
     * About 30k distinct words per 40k generated, enough merges for vocabularies into the tens of thousands.
     */
    static SortedMap<String, Long> supplementWords(int wordCount) {
        long state = 0x5DEECE66DL; // fixed seed: output must never change between runs or JVMs
        StringBuilder text = new StringBuilder(wordCount * 8);
        for (int w = 0; w < wordCount; w++) {
            text.append(' ');
            state = nextLcg(state);
            int syllables = 1 + (int) ((state >>> 33) % 4);
            for (int s = 0; s < syllables; s++) {
                state = nextLcg(state);
                text.append(SYLLABLES[(int) ((state >>> 33) % SYLLABLES.length)]);
            }
        }
        return countPieces(text.toString());
    }

    static SortedMap<String, Long> countPieces(String text) {
        SortedMap<String, Long> counts = new TreeMap<>();
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            counts.merge(m.group(), 1L, Long::sum);
        }
        return counts;
    }

    // Knuth's MMIX constants; java.util.Random would also do, but this keeps the sequence visible here.
    private static long nextLcg(long state) {
        return state * 6364136223846793005L + 1442695040888963407L;
    }
}
