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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9's engine guarantees on a tiny generated model: every request ends, admission checks KV, a preemption
 * frees blocks, no block leaks, KV of another model is never used, only the reusable prefix is retained, and KV
 * offered at 10x the budget completes with the same tokens as with room to spare.
 */
class BatchingEngineReliabilityTest {
    @TempDir static Path tmp;
    static Transformer model;
    /** Bytes of one KV block of the tiny model (16 positions). */
    static long blockBytes;

    @BeforeAll
    static void generate() throws Exception {
        model = WeightsOnlyModel.load(WeightsOnlyModel.write(tmp, Architecture.QWEN2, ModelSize.TINY, TensorDtype.F32, 1, 21), WeightFormat.F32);
        blockBytes = model.kvLayout().bytesPerBlock();
    }

    private static BatchingEngine engine(int maxRunning, long kvBudgetBytes, long hostBytes, long fingerprint) {
        EngineOptions o = EngineOptions.defaults(tmp).withLimits(maxRunning, 64).withKvBudget(kvBudgetBytes, hostBytes);
        return new BatchingEngine(model, Set.of(), () -> id -> "<" + id + ">", o, fingerprint);
    }

    private static BatchingEngine roomy() { return engine(8, 64 * EngineOptions.MIB, 64 * EngineOptions.MIB, 1); }

    private static int[] prompt(int n, int seed) {
        return IntStream.range(0, n).map(i -> 3 + (i * 37 + seed * 101) % 500).toArray();
    }

    private static GenerationResult await(Completion c) throws Exception {
        return c.result().get(60, TimeUnit.SECONDS);
    }

    /** Regression: a request whose prefix lookup threw was taken off the queue and never completed. */
    @Test
    void aRequestWhoseKvLookupFailsEndsAsAnErrorResultAndTheOthersGoOn() throws Exception {
        try (BatchingEngine e = roomy()) {
            int[] p = prompt(40, 1);
            await(e.submit(new GenerationRequest("t1", "conv", p, SamplingParams.greedy(4))));
            List<KvChunk> good = e.exportKv("conv");
            KvChunk c = good.get(0);
            // a chunk that says it starts at position 5: decoding it into an empty sequence must fail
            KvChunk shifted = new KvChunk(c.formatVersion(), c.modelFingerprint(), c.layers(), c.kvDim(), c.encoding(),
                    5, c.tokenIds(), c.data());
            e.dropConversation("conv");
            e.importKv("conv", List.of(shifted));
            Completion broken = e.submit(new GenerationRequest("t2", "conv", p, SamplingParams.greedy(4)));
            Completion other = e.submit(new GenerationRequest("o1", null, prompt(10, 2), SamplingParams.greedy(4)));
            GenerationResult r = await(broken);
            assertThat(r.finishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(r.error()).contains("admission failed").contains("not contiguous");
            assertThat(await(other).finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(e.metrics().requestsFailed.sum()).isEqualTo(1);
        }
    }

    @Test
    void aThrowingTokenListenerEndsOnlyItsOwnRequest() throws Exception {
        try (BatchingEngine e = roomy()) {
            Completion bad = e.submit(new GenerationRequest("bad", null, prompt(8, 3), SamplingParams.greedy(6)),
                    (id, text) -> { throw new IllegalStateException("client went away"); });
            Completion good = e.submit(new GenerationRequest("good", null, prompt(8, 4), SamplingParams.greedy(6)));
            assertThat(await(bad).error()).contains("token listener failed").contains("client went away");
            assertThat(await(good).outputTokens()).hasSize(6);
        }
    }

    @Test
    void submissionsQueuedWhenTheEngineClosesAreAnsweredToo() throws Exception {
        BatchingEngine e = roomy();
        List<Completion> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) all.add(e.submit(new GenerationRequest("r" + i, null, prompt(30, i), SamplingParams.greedy(50))));
        e.close();
        for (Completion c : all) assertThat(await(c).requestId()).isNotNull();
        assertThat(await(e.submit(new GenerationRequest("late", null, prompt(3, 9), SamplingParams.greedy(2)))).error())
                .isEqualTo("engine closed");
    }

    /**
     * Regression: admission did not look at free blocks, and the victim of a preemption was often the request
     * just admitted, holding no blocks (a preemption that frees nothing). Now each preemption frees blocks, and
     * KV offered at about 10x the budget still gives every request the tokens it gets with room to spare.
     */
    @Test
    void kvOfferedAtTenTimesTheBudgetCompletesEveryRequestWithTheSameTokensAndEveryPreemptionFreesBlocks() throws Exception {
        int n = 16;
        int[][] prompts = new int[n][];
        for (int i = 0; i < n; i++) prompts[i] = prompt(40 + 3 * i, 10 + i); // 40..85 prompt + 24 generated: 4-7 blocks
        Map<Integer, int[]> expected = new HashMap<>();
        try (BatchingEngine e = roomy()) {
            for (int i = 0; i < n; i++) expected.put(i, await(e.submit(new GenerationRequest("x" + i, "c" + i, prompts[i], SamplingParams.greedy(24)))).outputTokens());
        }
        long budget = 9 * blockBytes; // offered: ~90 blocks at once
        try (BatchingEngine e = engine(16, budget, 4 * blockBytes, 1)) {
            List<Completion> cs = new ArrayList<>();
            for (int i = 0; i < n; i++) cs.add(e.submit(new GenerationRequest("y" + i, "c" + i, prompts[i], SamplingParams.greedy(24))));
            for (int i = 0; i < n; i++) {
                GenerationResult r = await(cs.get(i));
                assertThat(r.finishReason()).as("request %d: %s", i, r.error()).isEqualTo(FinishReason.LENGTH);
                assertThat(r.outputTokens()).as("request %d", i).containsExactly(expected.get(i));
            }
            EngineMetrics m = e.metrics();
            assertThat(m.preemptions.sum()).isPositive();
            assertThat(m.preemptionFreedBlocks.sum()).isGreaterThanOrEqualTo(m.preemptions.sum());
            assertThat(m.hostKvEvictions.get()).as("finished conversations moved to the host tier").isPositive();
            assertThat(e.usedBlocks()).isEqualTo(e.retainedBlocks());
        }
    }

    /** Once every request has finished, the blocks in use are exactly those retained conversations hold. */
    @Test
    void noKvBlockLeaksAcrossRandomWorkloads() throws Exception {
        Random rnd = new Random(99);
        for (int round = 0; round < 4; round++) {
            long budget = (6 + rnd.nextInt(20)) * blockBytes;
            try (BatchingEngine e = engine(1 + rnd.nextInt(8), budget, rnd.nextInt(6) * blockBytes, 1)) {
                List<Completion> cs = new ArrayList<>();
                Map<String, int[]> history = new HashMap<>();
                for (int i = 0; i < 30; i++) {
                    String conv = rnd.nextInt(3) == 0 ? null : "c" + rnd.nextInt(6);
                    int[] p = prompt(1 + rnd.nextInt(60), rnd.nextInt(1000));
                    if (conv != null && history.containsKey(conv) && rnd.nextBoolean()) p = concat(history.get(conv), p);
                    if (conv != null) history.put(conv, p);
                    int retain = rnd.nextInt(4) == 0 ? rnd.nextInt(p.length + 1) : GenerationRequest.RETAIN_ALL;
                    Completion c = e.submit(new GenerationRequest("r" + round + "-" + i, conv, p,
                            SamplingParams.greedy(1 + rnd.nextInt(20)), retain, GenerationRequest.NO_EXPORT));
                    if (rnd.nextInt(8) == 0) c.cancel();
                    if (rnd.nextInt(10) == 0 && conv != null) e.dropConversation(conv);
                    cs.add(c);
                }
                for (Completion c : cs) await(c);
                assertThat(e.usedBlocks()).as("round %d", round).isEqualTo(e.retainedBlocks());
            }
        }
    }

    /** Regression: KV chunks carried no model identity; a fine-tune of the same shape reused them silently. */
    @Test
    void kvChunksOfAnotherModelAreCountedAndRecomputedNeverUsed() throws Exception {
        int[] p = prompt(50, 5);
        List<KvChunk> chunks;
        try (BatchingEngine a = engine(4, 64 * EngineOptions.MIB, 64 * EngineOptions.MIB, 111)) {
            await(a.submit(new GenerationRequest("a", "conv", p, SamplingParams.greedy(3))));
            chunks = a.exportKv("conv");
        }
        assertThat(chunks).allSatisfy(c -> assertThat(c.modelFingerprint()).isEqualTo(111));
        int[] next = concat(p, prompt(5, 6));
        try (BatchingEngine other = engine(4, 64 * EngineOptions.MIB, 64 * EngineOptions.MIB, 222)) {
            other.importKv("conv", chunks);
            GenerationResult r = await(other.submit(new GenerationRequest("b", "conv", next, SamplingParams.greedy(3))));
            assertThat(r.kvSource()).isEqualTo(KvSource.NONE);
            assertThat(r.cachedTokens()).isZero();
            assertThat(other.metrics().kvFingerprintMismatches.sum()).isEqualTo(1);
        }
        try (BatchingEngine same = engine(4, 64 * EngineOptions.MIB, 64 * EngineOptions.MIB, 111)) {
            same.importKv("conv", chunks);
            GenerationResult r = await(same.submit(new GenerationRequest("c", "conv", next, SamplingParams.greedy(3))));
            assertThat(r.kvSource()).isEqualTo(KvSource.STATE);
            assertThat(r.cachedTokens()).isEqualTo(p.length);
        }
    }

    /**
     * Regression: a finished turn kept its generated tokens' KV, though the R1 template drops them from the next
     * prompt. With retainTokens only that prefix stays, and exportKvFrom returns just the new part as chunks.
     */
    @Test
    void onlyTheReusablePrefixIsRetainedAndOnlyTheNewPartIsExported() throws Exception {
        try (BatchingEngine e = roomy()) {
            int[] p = prompt(70, 8);
            GenerationResult r = await(e.submit(new GenerationRequest("t1", "conv", p, SamplingParams.greedy(20), 60, 32)));
            assertThat(r.kvChunks()).extracting(KvChunk::startPosition).containsExactly(32);
            assertThat(r.kvChunks().get(0).endPosition()).isEqualTo(60);
            assertThat(e.exportKv("conv")).last().extracting(KvChunk::endPosition).isEqualTo(60);
            long kept = e.retainedBlocks();
            assertThat(kept).isEqualTo(model.kvLayout().blocksFor(60)); // not blocksFor(90): the answer is gone
            GenerationResult r2 = await(e.submit(new GenerationRequest("t2", "conv", concat(p, prompt(4, 9)), SamplingParams.greedy(2))));
            assertThat(r2.cachedTokens()).isEqualTo(60);
        }
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int k = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }

}
