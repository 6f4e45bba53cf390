package io.r1stream.engine;

import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.Transformer;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.WeightsOnlyModel;
import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.SamplingParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The batching engine on a tiny generated model (weights only; token ids stand in for text). */
class BatchingEngineTest {
    @TempDir static Path tmp;
    static Transformer model;

    @BeforeAll
    static void generate() throws Exception {
        model = WeightsOnlyModel.load(WeightsOnlyModel.write(tmp, Architecture.QWEN2, ModelSize.TINY, TensorDtype.F32, 1, 21), WeightFormat.F32);
    }

    private static BatchingEngine engine(int maxRunning, long kvBudgetBytes) {
        EngineOptions o = EngineOptions.defaults(tmp).withLimits(maxRunning, Math.max(maxRunning, 64))
                .withKvBudget(kvBudgetBytes, 64 * EngineOptions.MIB);
        return new BatchingEngine(model, Set.of(), () -> id -> "<" + id + ">", o);
    }

    private static int[] prompt(int n, int seed) {
        return IntStream.range(0, n).map(i -> 3 + (i * 37 + seed * 101) % 500).toArray();
    }

    private static GenerationResult run(InferenceEngine e, String id, String conv, int[] prompt, int maxTokens) {
        return e.submit(new GenerationRequest(id, conv, prompt, SamplingParams.greedy(maxTokens))).result().join();
    }

    @Test
    void greedyTokensOfABatchOfDifferentLengthsEqualThoseGeneratedOneAtATime() {
        int[][] prompts = {prompt(3, 1), prompt(40, 2), prompt(9, 3), prompt(1, 4), prompt(70, 5), prompt(17, 6)};
        List<int[]> alone = new ArrayList<>();
        try (BatchingEngine e = engine(1, 64 * EngineOptions.MIB)) {
            for (int i = 0; i < prompts.length; i++) alone.add(run(e, "a" + i, null, prompts[i], 12).outputTokens());
        }
        try (BatchingEngine e = engine(8, 64 * EngineOptions.MIB)) {
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                futures.add(e.submit(new GenerationRequest("b" + i, null, prompts[i], SamplingParams.greedy(12))).result());
            }
            for (int i = 0; i < prompts.length; i++) {
                GenerationResult r = futures.get(i).join();
                assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
                assertThat(r.outputTokens()).as("sequence %d", i).containsExactly(alone.get(i));
            }
            // batching happened: fewer steps than one sequence at a time would take
            assertThat(e.metrics().steps.sum()).isLessThan(6 * 12);
        }
    }

    @Test
    void secondTurnReusesTheFirstTurnsPrefixAndGivesTheSameTokensAsAColdRun() {
        int[] turn1 = prompt(30, 7);
        try (BatchingEngine e = engine(4, 64 * EngineOptions.MIB)) {
            GenerationResult first = run(e, "t1", "conv", turn1, 6);
            assertThat(first.kvSource()).isEqualTo(KvSource.NONE);
            // next turn: the whole first turn (prompt + answer) followed by a new user message
            int[] turn2 = concat(turn1, first.outputTokens(), prompt(10, 8));
            GenerationResult second = run(e, "t2", "conv", turn2, 6);
            assertThat(second.kvSource()).isEqualTo(KvSource.ENGINE);
            // the last generated token of turn 1 was never fed back, so its KV is not cached
            assertThat(second.cachedTokens()).isEqualTo(turn1.length + first.outputTokens().length - 1);
            GenerationResult cold = run(e, "cold", null, turn2, 6);
            assertThat(cold.cachedTokens()).isZero();
            assertThat(second.outputTokens()).containsExactly(cold.outputTokens());
            assertThat(e.metrics().prefixCacheHits(KvSource.ENGINE).sum()).isEqualTo(1);
            assertThat(e.metrics().cachedPromptTokens.sum()).isEqualTo(second.cachedTokens());
        }
    }

    @Test
    void aChangedHistoryIsReusedOnlyUpToWhereTheTokensDiffer() {
        int[] turn1 = prompt(30, 9);
        try (BatchingEngine e = engine(4, 64 * EngineOptions.MIB)) {
            GenerationResult first = run(e, "t1", "c", turn1, 4);
            int[] edited = turn1.clone();
            edited[20] = 499; // like R1's template dropping the reasoning: history differs from position 20
            GenerationResult second = run(e, "t2", "c", concat(edited, prompt(5, 1)), 4);
            assertThat(second.cachedTokens()).isEqualTo(20);
            assertThat(second.outputTokens()).containsExactly(run(e, "cold", null, concat(edited, prompt(5, 1)), 4).outputTokens());
            assertThat(first.finishReason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void preemptionUnderATightKvBudgetRecomputesAndGivesTheSameTokens() {
        int[][] prompts = {prompt(30, 11), prompt(30, 12), prompt(30, 13), prompt(30, 14)};
        List<int[]> roomy = new ArrayList<>();
        try (BatchingEngine e = engine(4, 64 * EngineOptions.MIB)) {
            for (int i = 0; i < prompts.length; i++) roomy.add(run(e, "r" + i, null, prompts[i], 20).outputTokens());
        }
        // 12 blocks of 16 tokens: each sequence grows to 50 tokens (4 blocks), 4 of them need 16 blocks
        long blockBytes = model.kvLayout().bytesPerBlock();
        try (BatchingEngine e = engine(4, 12 * blockBytes)) {
            List<CompletableFuture<GenerationResult>> fs = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) fs.add(e.submit(new GenerationRequest("p" + i, null, prompts[i], SamplingParams.greedy(20))).result());
            for (int i = 0; i < prompts.length; i++) assertThat(fs.get(i).join().outputTokens()).containsExactly(roomy.get(i));
            assertThat(e.metrics().preemptions.sum()).isPositive();
            assertThat(e.metrics().kvBlocksUsed.get()).isLessThanOrEqualTo(12);
        }
    }

    @Test
    void evictedConversationComesBackFromTheHostTierAndExportedChunksFromState() {
        long blockBytes = model.kvLayout().bytesPerBlock();
        int[] a1 = prompt(40, 15);
        try (BatchingEngine e = engine(1, 6 * blockBytes)) {
            GenerationResult first = run(e, "a1", "A", a1, 4);
            run(e, "b1", "B", prompt(60, 16), 4); // needs 4 of 6 blocks: evicts A to the host tier
            int[] a2 = concat(a1, first.outputTokens(), prompt(4, 17));
            GenerationResult second = run(e, "a2", "A", a2, 4);
            assertThat(second.kvSource()).isEqualTo(KvSource.HOST);
            assertThat(second.cachedTokens()).isEqualTo(a1.length + 3);
            assertThat(second.outputTokens()).containsExactly(run(e, "cold", null, a2, 4).outputTokens());

            List<KvChunk> chunks = e.exportKv("A");
            assertThat(chunks).isNotEmpty();
            assertThat(chunks.get(0).tokenIds()).startsWith(Arrays.copyOf(a2, 10));
            try (BatchingEngine restarted = engine(1, 6 * blockBytes)) {
                restarted.importKv("A", chunks);
                int[] a3 = concat(a2, second.outputTokens(), prompt(3, 18));
                GenerationResult third = restarted.submit(new GenerationRequest("a3", "A", a3, SamplingParams.greedy(4))).result().join();
                assertThat(third.kvSource()).isEqualTo(KvSource.STATE);
                assertThat(third.cachedTokens()).isEqualTo(a2.length + 3);
                assertThat(restarted.metrics().prefixCacheHits(KvSource.STATE).sum()).isEqualTo(1);
            }
        }
    }

    @Test
    void streamsEveryTokenAndReportsTimingAndCancellation() {
        try (BatchingEngine e = engine(2, 64 * EngineOptions.MIB)) {
            List<String> deltas = new CopyOnWriteArrayList<>();
            Completion c = e.submit(new GenerationRequest("s", null, prompt(5, 1), SamplingParams.greedy(5)), (id, d) -> deltas.add(d));
            GenerationResult r = c.result().join();
            assertThat(String.join("", deltas)).isEqualTo(r.text());
            assertThat(deltas).hasSize(5);
            assertThat(r.timing().ttftMs()).isPositive().isLessThanOrEqualTo(r.timing().e2eMs());
            assertThat(r.timing().queueMs()).isLessThanOrEqualTo(r.timing().ttftMs());

            Completion long1 = e.submit(new GenerationRequest("long", null, prompt(5, 2), SamplingParams.greedy(100_000)));
            long1.cancel();
            assertThat(long1.result().join().finishReason()).isEqualTo(FinishReason.CANCELLED);
        }
    }

    @Test
    void stopStringEndsTheOutputBeforeIt() {
        try (BatchingEngine e = engine(1, 64 * EngineOptions.MIB)) {
            GenerationResult free = run(e, "f", null, prompt(5, 3), 6);
            String stopAt = "<" + free.outputTokens()[2] + ">";
            SamplingParams p = new SamplingParams(0, 0, 1, null, 6, List.of(stopAt));
            GenerationResult stopped = e.submit(new GenerationRequest("s", null, prompt(5, 3), p)).result().join();
            assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(stopped.text()).isEqualTo(free.text().substring(0, free.text().indexOf(stopAt)));
        }
    }

    /**
     * Regression: the streaming path used to hand the listener a stop string's first characters (those in the
     * token before the one that completes it) before the stop was recognised. Now text that may begin a stop
     * string is held back, and the deltas add up to exactly the result's text.
     */
    @Test
    void aStopStringSplitAcrossTokensIsNeverStreamed() {
        try (BatchingEngine e = engine(1, 64 * EngineOptions.MIB)) {
            GenerationResult free = run(e, "f", null, prompt(5, 3), 6);
            String t1 = "<" + free.outputTokens()[1] + ">", t2 = "<" + free.outputTokens()[2] + ">";
            String stop = t1.substring(t1.length() - 2) + t2.substring(0, 2); // e.g. "3><4": ends token 1, starts token 2
            StringBuilder streamed = new StringBuilder();
            SamplingParams p = new SamplingParams(0, 0, 1, null, 6, List.of(stop));
            GenerationResult stopped = e.submit(new GenerationRequest("s", null, prompt(5, 3), p),
                    (id, delta) -> streamed.append(delta)).result().join();
            assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(stopped.text()).isEqualTo(free.text().substring(0, free.text().indexOf(stop)));
            assertThat(streamed.toString()).isEqualTo(stopped.text()).doesNotContain(stop.substring(0, 2));
        }
    }

    @Test
    void heldBackTextThatIsNoStopIsStreamedAndTheDeltasAddUpToTheText() {
        try (BatchingEngine e = engine(1, 64 * EngineOptions.MIB)) {
            List<String> deltas = new ArrayList<>();
            // every token's text ends with ">", the start of this stop string, so each one is held until the next
            SamplingParams p = new SamplingParams(0, 0, 1, null, 5, List.of("><never"));
            GenerationResult r = e.submit(new GenerationRequest("h", null, prompt(5, 3), p), (id, d) -> deltas.add(d)).result().join();
            assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(String.join("", deltas)).isEqualTo(r.text());
            assertThat(deltas.get(0)).doesNotEndWith(">");
            assertThat(deltas).hasSize(6); // one per token, and the final release of the last ">"
            assertThat(deltas.get(5)).isEqualTo(">");
        }
    }

    @Test
    void eosIdEndsGenerationWithStop() {
        int eos;
        try (BatchingEngine e = engine(1, 64 * EngineOptions.MIB)) {
            eos = run(e, "f", null, prompt(5, 4), 3).outputTokens()[1];
        }
        EngineOptions o = EngineOptions.defaults(tmp).withKvBudget(64 * EngineOptions.MIB, 0);
        try (BatchingEngine e = new BatchingEngine(model, Set.of(eos), () -> id -> "", o)) {
            GenerationResult r = run(e, "g", null, prompt(5, 4), 10);
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.outputTokens()).hasSize(1);
        }
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
