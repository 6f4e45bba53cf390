package io.r1stream.operators.summarize;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a text into chunks of at most {@code maxTokens} tokens, cut only between sentences (paragraph and line
 * breaks are sentence boundaries too), with the last sentences of a chunk, up to {@code overlapTokens}, repeated
 * at the start of the next so no chunk starts without context. A sentence longer than a chunk is cut between
 * words, and a word longer than a chunk between characters. Each piece is counted with the model's tokenizer
 * together with the whitespace in front of it, so a chunk's count is its pieces' sum (a byte-level BPE merges
 * nothing across that whitespace; a chunk's own encoding can differ by a token or so at its first piece).
 */
public final class TextChunker {
    // a sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace; line breaks end pieces too
    private static final Pattern BOUNDARY = Pattern.compile("(?<=[.!?][\"')\\]]?)[ \\t]+|\\s*\\n\\s*");

    /** A chunk's text and its token count. */
    public record Chunk(String text, int tokens) {}

    private record Piece(String separator, String text, int tokens) {}

    private final ToIntFunction<String> tokenCount;
    private final int maxTokens;
    private final int overlapTokens;

    public TextChunker(ToIntFunction<String> tokenCount, int maxTokens, int overlapTokens) {
        if (maxTokens < 1 || overlapTokens < 0 || overlapTokens >= maxTokens) {
            throw new IllegalArgumentException("need maxTokens >= 1 and 0 <= overlapTokens < maxTokens, got " + maxTokens + ", " + overlapTokens);
        }
        this.tokenCount = tokenCount;
        this.maxTokens = maxTokens;
        this.overlapTokens = overlapTokens;
    }

    /** The chunks of a text, in order; none for a blank text. */
    public List<Chunk> split(String text) {
        List<Piece> pieces = pieces(text);
        List<Chunk> chunks = new ArrayList<>();
        int start = 0;
        int end = 0; // the previous chunk covered [start, end)
        while (end < pieces.size()) {
            int from = start;
            if (!chunks.isEmpty()) {
                // earliest piece such that the previous chunk's tail from it fits the overlap, never the whole chunk
                from = end;
                int tail = 0;
                while (from - 1 > start && tail + pieces.get(from - 1).tokens <= overlapTokens) tail += pieces.get(--from).tokens;
                // overlap plus the first new piece must fit
                while (from < end && tail + pieces.get(end).tokens > maxTokens) tail -= pieces.get(from++).tokens;
            }
            int to = from;
            int total = 0;
            while (to < pieces.size()) {
                int t = pieces.get(to).tokens;
                if (to > end && total + t > maxTokens) break; // at least one new piece per chunk
                total += t;
                to++;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = from; i < to; i++) {
                if (i > from) sb.append(pieces.get(i).separator);
                sb.append(pieces.get(i).text);
            }
            chunks.add(new Chunk(sb.toString(), total));
            start = from;
            end = to;
        }
        return chunks;
    }

    private List<Piece> pieces(String text) {
        List<Piece> out = new ArrayList<>();
        Matcher m = BOUNDARY.matcher(text);
        int pos = 0;
        String sep = "";
        while (true) {
            boolean found = m.find();
            int stop = found ? m.start() : text.length();
            String sentence = text.substring(pos, stop).strip();
            if (!sentence.isEmpty()) addSentence(out, out.isEmpty() ? "" : sep, sentence);
            if (!found) break;
            String ws = m.group();
            sep = ws.indexOf('\n') < 0 ? " " : ws.chars().filter(c -> c == '\n').count() > 1 ? "\n\n" : "\n";
            pos = m.end();
        }
        return out;
    }

    private void addSentence(List<Piece> out, String sep, String sentence) {
        int n = tokenCount.applyAsInt(sep + sentence);
        if (n <= maxTokens) {
            out.add(new Piece(sep, sentence, n));
            return;
        }
        // too long for a chunk: cut between words, then between characters
        String s = sep;
        for (String word : sentence.split("\\s+")) {
            int w = tokenCount.applyAsInt(s + word);
            if (w <= maxTokens) {
                appendWord(out, s, word, w);
            } else {
                for (String part : cutCharacters(word)) appendWord(out, s, part, tokenCount.applyAsInt(s + part));
            }
            s = " ";
        }
    }

    // merges a word into the previous piece of the same long sentence when it still fits
    private void appendWord(List<Piece> out, String sep, String word, int tokens) {
        if (sep.equals(" ") && !out.isEmpty()) {
            Piece last = out.get(out.size() - 1);
            String merged = last.text + " " + word;
            int n = tokenCount.applyAsInt(last.separator + merged);
            if (n <= maxTokens) {
                out.set(out.size() - 1, new Piece(last.separator, merged, n));
                return;
            }
        }
        out.add(new Piece(out.isEmpty() ? "" : sep, word, tokens));
    }

    private List<String> cutCharacters(String word) {
        List<String> parts = new ArrayList<>();
        int pos = 0;
        while (pos < word.length()) {
            int len = Math.max(1, Math.min(word.length() - pos, maxTokens));
            while (len > 1 && tokenCount.applyAsInt(" " + word.substring(pos, safeEnd(word, pos + len))) > maxTokens) len /= 2;
            int e = safeEnd(word, pos + len);
            parts.add(word.substring(pos, e));
            pos = e;
        }
        return parts;
    }

    // never split a surrogate pair
    private static int safeEnd(String s, int end) {
        return end < s.length() && Character.isLowSurrogate(s.charAt(end)) ? end + 1 : end;
    }
}
