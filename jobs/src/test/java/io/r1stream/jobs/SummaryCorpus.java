package io.r1stream.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A generated corpus for the summarization tests: documents from a few words to many paragraphs, in
 * sub-folders, as .txt and .md, plus bad inputs (empty, whitespace-only, binary, not UTF-8, a dangling link) and
 * a file that is not a document (.csv). Same seed, same files.
 */
final class SummaryCorpus {
    private static final String[] WORDS = ("river stream batch window state checkpoint kafka flink model token engine "
            + "summary chunk paragraph sentence operator job cluster memory cache reason answer document corpus text "
            + "latency throughput parallel record offset topic partition").split(" ");

    private SummaryCorpus() {}

    /** Expected outcome per doc id: null for a good document, else a word its error must contain. */
    static Map<String, String> write(Path root, int goodDocs, long seed) throws IOException {
        Random rnd = new Random(seed);
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < goodDocs; i++) {
            // sizes: a few words, one paragraph, several paragraphs, many paragraphs (many chunks)
            int paragraphs = switch (i % 4) { case 0 -> 0; case 1 -> 1; case 2 -> 3; default -> 8 + i % 5; };
            String text = paragraphs == 0 ? words(rnd, 2 + i % 4) : text(rnd, paragraphs);
            String name = (i % 3 == 0 ? "sub/" + (i % 2 == 0 ? "deep/" : "") : "") + "doc-" + i + (i % 2 == 0 ? ".txt" : ".md");
            write(root.resolve(name), text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            expected.put(name, null);
        }
        write(root.resolve("empty.txt"), new byte[0]);
        expected.put("empty.txt", "empty");
        write(root.resolve("blank.md"), " \n\n\t \n".getBytes());
        expected.put("blank.md", "empty");
        write(root.resolve("sub/image.txt"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
        expected.put("sub/image.txt", "binary");
        write(root.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, ' ', 'a', 'u', ' ', 'l', 'a', 'i', 't'});
        expected.put("latin1.txt", "binary");
        Files.createSymbolicLink(root.resolve("gone.txt"), root.resolve("no-such-file.txt")); // listed, cannot be read
        expected.put("gone.txt", "unreadable");
        write(root.resolve("data.csv"), "a,b\n1,2\n".getBytes()); // not a document: not listed
        return expected;
    }

    static String text(Random rnd, int paragraphs) {
        List<String> ps = new ArrayList<>();
        for (int p = 0; p < paragraphs; p++) {
            StringBuilder sb = new StringBuilder();
            int sentences = 3 + rnd.nextInt(4);
            for (int s = 0; s < sentences; s++) {
                String w = words(rnd, 5 + rnd.nextInt(10));
                sb.append(s > 0 ? " " : "").append(Character.toUpperCase(w.charAt(0))).append(w.substring(1)).append('.');
            }
            ps.add(sb.toString());
        }
        return String.join("\n\n", ps) + "\n";
    }

    static String words(Random rnd, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i > 0 ? " " : "").append(WORDS[rnd.nextInt(WORDS.length)]);
        return sb.toString();
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
