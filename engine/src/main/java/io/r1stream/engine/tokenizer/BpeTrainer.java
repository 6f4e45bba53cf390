package io.r1stream.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;

/**
 * Byte-level BPE merge learning (Sennrich et al.), deterministic: start from the 256 byte tokens
 * (id = byte value), then repeatedly merge the most frequent adjacent pair of tokens inside words,
 * ties broken by the smaller left id, then the smaller right id. Pair counts are updated incrementally
 * for the words a merge touches and the best pair comes from a priority queue, so thousands of merges
 * take a fraction of a second.
 */
final class BpeTrainer {

    /** A learned merge: {@code left + right -> result}, ids into {@link #tokens()}; rank 0 is learned first. */
    record Merge(int left, int right, int result, int rank) {}

    private final List<String> tokens = new ArrayList<>();          // id -> byte-level string
    private final Map<String, Integer> idOfToken = new HashMap<>();
    private final List<Merge> merges = new ArrayList<>();           // in rank order
    private final Map<Long, Merge> mergeOfPair = new HashMap<>();

    private final List<int[]> wordSymbols = new ArrayList<>();      // word -> its current token ids
    private final List<Long> wordCounts = new ArrayList<>();        // word -> occurrences in the corpus
    private final Map<Long, Long> pairCounts = new HashMap<>();     // pair -> occurrences, only > 0 kept
    private final Map<Long, Set<Integer>> wordsWithPair = new HashMap<>(); // may hold stale words
    // Candidates, most frequent first; entries go stale when a count changes and are checked on poll.
    private final PriorityQueue<PairCount> queue = new PriorityQueue<>();
    private final Set<Long> changedPairs = new HashSet<>();

    private record PairCount(long pair, long count) implements Comparable<PairCount> {
        @Override
        public int compareTo(PairCount o) {
            int byCount = Long.compare(o.count, count);
            return byCount != 0 ? byCount : Long.compareUnsigned(pair, o.pair);
        }
    }

    BpeTrainer() {
        for (int b = 0; b < 256; b++) {
            addToken(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
    }

    List<String> tokens() {
        return tokens;
    }

    List<Merge> merges() {
        return merges;
    }

    /** Adds pre-tokenized words; they are first split with the merges learned so far. */
    void addWords(SortedMap<String, Long> counts) {
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            byte[] utf8 = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[utf8.length];
            for (int i = 0; i < utf8.length; i++) {
                symbols[i] = utf8[i] & 0xFF;
            }
            int word = wordSymbols.size();
            wordSymbols.add(applyKnownMerges(symbols));
            wordCounts.add(e.getValue());
            countPairs(word, +1);
        }
        requeueChangedPairs();
    }

    /**
     * Learns merges until the vocabulary has {@code targetSize} tokens.
     *
     * @return false when the words have no adjacent pair left (every word is one token) before that
     */
    boolean learnUntil(int targetSize) {
        while (tokens.size() < targetSize) {
            long best = mostFrequentPair();
            if (best == -1) {
                return false;
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            String merged = tokens.get(left) + tokens.get(right);
            // Two different merges can spell the same string ("a"+"bc", "ab"+"c"); HF reuses the token.
            Integer existing = idOfToken.get(merged);
            int result = existing != null ? existing : addToken(merged);
            Merge merge = new Merge(left, right, result, merges.size());
            merges.add(merge);
            mergeOfPair.put(best, merge);
            for (int word : new ArrayList<>(wordsWithPair.getOrDefault(best, Set.of()))) {
                countPairs(word, -1);
                wordSymbols.set(word, applyMerge(wordSymbols.get(word), merge));
                countPairs(word, +1);
            }
            wordsWithPair.remove(best);
            requeueChangedPairs();
        }
        return true;
    }

    private int addToken(String token) {
        int id = tokens.size();
        tokens.add(token);
        idOfToken.put(token, id);
        return id;
    }

    /** The pair with the highest count (ties: smaller left id, then smaller right id), or -1 if none. */
    private long mostFrequentPair() {
        while (!queue.isEmpty()) {
            PairCount top = queue.poll();
            Long current = pairCounts.get(top.pair());
            if (current != null && current == top.count()) {
                return top.pair();
            }
        }
        return -1;
    }

    private void countPairs(int word, int sign) {
        int[] s = wordSymbols.get(word);
        long count = wordCounts.get(word) * sign;
        for (int i = 0; i + 1 < s.length; i++) {
            long pair = pairKey(s[i], s[i + 1]);
            long updated = pairCounts.getOrDefault(pair, 0L) + count;
            if (updated <= 0) {
                pairCounts.remove(pair);
            } else {
                pairCounts.put(pair, updated);
                changedPairs.add(pair);
            }
            if (sign > 0) {
                wordsWithPair.computeIfAbsent(pair, k -> new HashSet<>()).add(word);
            }
        }
    }

    /** Queues the current count of every pair touched since the last call (one entry each, not per word). */
    private void requeueChangedPairs() {
        for (long pair : changedPairs) {
            Long count = pairCounts.get(pair);
            if (count != null) {
                queue.add(new PairCount(pair, count));
            }
        }
        changedPairs.clear();
    }

    /** Standard BPE encoding of one word: repeatedly apply the lowest-rank merge present. */
    private int[] applyKnownMerges(int[] symbols) {
        int[] s = symbols;
        while (s.length > 1) {
            Merge first = null;
            for (int i = 0; i + 1 < s.length; i++) {
                Merge m = mergeOfPair.get(pairKey(s[i], s[i + 1]));
                if (m != null && (first == null || m.rank() < first.rank())) {
                    first = m;
                }
            }
            if (first == null) {
                return s;
            }
            s = applyMerge(s, first);
        }
        return s;
    }

    private static int[] applyMerge(int[] s, Merge m) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == m.left() && s[i + 1] == m.right()) {
                out[n++] = m.result();
                i++;
            } else {
                out[n++] = s[i];
            }
        }
        return n == s.length ? out : Arrays.copyOf(out, n);
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }
}
