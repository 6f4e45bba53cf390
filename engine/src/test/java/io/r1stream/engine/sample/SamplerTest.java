package io.r1stream.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 2.9f, 0.5f, 2.8f, -1f};

    private static SamplingParams p(double t, int k, double topP, Long seed) {
        return new SamplingParams(t, k, topP, seed, 10, List.of());
    }

    @Test
    void greedyAndTopKOfOnePickTheArgmax() {
        assertThat(new Sampler(SamplingParams.greedy(1)).next(LOGITS)).isEqualTo(1);
        assertThat(new Sampler(p(1.0, 1, 1.0, 3L)).next(LOGITS)).isEqualTo(1);
    }

    @Test
    void sameSeedSameDrawsAndTopKTopPRestrictTheCandidates() {
        Sampler a = new Sampler(p(1.0, 0, 1.0, 42L)), b = new Sampler(p(1.0, 0, 1.0, 42L));
        Set<Integer> seen = new HashSet<>(), topK = new HashSet<>(), topP = new HashSet<>();
        Sampler k = new Sampler(p(2.0, 2, 1.0, 1L)), pp = new Sampler(p(1.0, 0, 0.5, 1L));
        for (int i = 0; i < 400; i++) {
            int x = a.next(LOGITS);
            assertThat(b.next(LOGITS)).isEqualTo(x);
            seen.add(x);
            topK.add(k.next(LOGITS));
            topP.add(pp.next(LOGITS));
        }
        assertThat(seen).contains(0, 1, 2, 4);           // full distribution is sampled
        assertThat(topK).containsExactlyInAnyOrder(1, 2); // only the 2 most likely
        assertThat(topP).containsExactlyInAnyOrder(1, 2); // mass 0.5 is reached after the top 2 (0.34 + 0.31)
    }

    @Test
    void outOfRangeParametersAreRefused() {
        assertThatThrownBy(() -> p(-1, 0, 1, null)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> p(1, -2, 1, null)).hasMessageContaining("top_k must be >= 0");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, null, 0, List.of())).hasMessageContaining("max_tokens must be >= 1");
    }

    /** The heap/threshold selection over a large vocabulary draws only from the nucleus a full sort gives. */
    @Test
    void largeVocabularyDrawsStayInsideTheBruteForceNucleus() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        float[] logits = new float[20_000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * 3);
        double t = 0.7, topP = 0.9;
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        double sum = 0;
        for (float l : logits) sum += Math.exp((l - logits[order[0]]) / t);
        Set<Integer> nucleus = new HashSet<>();
        double cum = 0;
        for (Integer id : order) {
            nucleus.add(id);
            cum += Math.exp((logits[id] - logits[order[0]]) / t) / sum;
            if (cum >= topP) break;
        }
        Sampler s = new Sampler(p(t, 0, topP, 5L)), k = new Sampler(p(t, 5, 1.0, 5L));
        Set<Integer> drawn = new HashSet<>(), drawnK = new HashSet<>();
        for (int i = 0; i < 2000; i++) { drawn.add(s.next(logits)); drawnK.add(k.next(logits)); }
        assertThat(nucleus).containsAll(drawn);
        assertThat(drawn).contains(order[0]).hasSizeGreaterThan(1);
        assertThat(drawnK).isSubsetOf(order[0], order[1], order[2], order[3], order[4]).hasSizeGreaterThan(2);
    }
}
