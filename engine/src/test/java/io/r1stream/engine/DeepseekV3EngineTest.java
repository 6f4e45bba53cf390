package io.r1stream.engine;

import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.kv.KvChunkCodec;
import io.r1stream.engine.kv.KvEncoding;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.arch.AssembledDecoder;
import io.r1stream.engine.model.arch.DeepseekV3Models;
import io.r1stream.engine.sample.SamplingParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static io.r1stream.engine.BatchingEngineTest.concat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batching engine on a tiny DeepseekV3 (MLA + MoE): continuous batching, chunked prefill, preemption, prefix
 * reuse, the host tier and KV chunks all over the compressed latent cache (one 40-value row per token and layer).
 */
class DeepseekV3EngineTest {
    @TempDir static Path tmp;
    static AssembledDecoder model;

    @BeforeAll
    static void generate() throws Exception {
        model = DeepseekV3Models.load(DeepseekV3Models.write(tmp, TensorDtype.BF16, true, true, true, 1, 21), WeightFormat.BF16);
    }

    private static BatchingEngine engine(int maxRunning, int tokensPerStep, long kvBudgetBytes) {
        EngineOptions o = EngineOptions.defaults(tmp).withLimits(maxRunning, tokensPerStep).withKvBudget(kvBudgetBytes, 64 * EngineOptions.MIB);
        return new BatchingEngine(model, Set.of(), () -> id -> "<" + id + ">", o);
    }

    private static int[] prompt(int n, int seed) {
        return IntStream.range(0, n).map(i -> 3 + (i * 37 + seed * 101) % 900).toArray();
    }

    private static GenerationResult run(InferenceEngine e, String id, String conv, int[] prompt, int maxTokens) {
        return e.submit(new GenerationRequest(id, conv, prompt, SamplingParams.greedy(maxTokens))).result().join();
    }

    @Test
    void theLatentCacheHoldsOneRowPerTokenAndLayer() {
        assertThat(model.kvLayout().kvDim()).isEqualTo(32 + 8);   // kv_lora_rank + qk_rope_head_dim
        assertThat(model.kvLayout().vDim()).isZero();
        assertThat(model.kvLayout().valuesPerToken()).isEqualTo(3 * 40);
        assertThat(new KvChunkCodec(model.kvLayout(), KvEncoding.FP16).bytesPerPosition()).isEqualTo(3 * 40 * 2);
    }

    @Test
    void batchedAndChunkedGenerationEqualsOneAtATime() {
        int[][] prompts = {prompt(3, 1), prompt(40, 2), prompt(9, 3), prompt(1, 4), prompt(70, 5)};
        List<int[]> alone = new ArrayList<>();
        try (BatchingEngine e = engine(1, 512, 64 * EngineOptions.MIB)) {
            for (int i = 0; i < prompts.length; i++) alone.add(run(e, "a" + i, null, prompts[i], 10).outputTokens());
        }
        try (BatchingEngine e = engine(8, 24, 64 * EngineOptions.MIB)) { // 24 tokens per step: long prompts prefill in chunks
            List<CompletableFuture<GenerationResult>> fs = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) fs.add(e.submit(new GenerationRequest("b" + i, null, prompts[i], SamplingParams.greedy(10))).result());
            for (int i = 0; i < prompts.length; i++) assertThat(fs.get(i).join().outputTokens()).as("sequence %d", i).containsExactly(alone.get(i));
            assertThat(e.metrics().steps.sum()).isLessThan(5 * 10);
        }
    }

    @Test
    void prefixReuseHostTierAndStateChunksWorkOnTheLatentCache() {
        long blockBytes = model.kvLayout().bytesPerBlock();
        int[] a1 = prompt(40, 15);
        try (BatchingEngine e = engine(1, 512, 6 * blockBytes)) {
            GenerationResult first = run(e, "a1", "A", a1, 4);
            int[] again = concat(a1, first.outputTokens(), prompt(5, 3));
            GenerationResult reuse = run(e, "a1b", "A", again, 4);
            assertThat(reuse.kvSource()).isEqualTo(KvSource.ENGINE);
            run(e, "b1", "B", prompt(60, 16), 4); // needs 4 of 6 blocks: evicts A to the host tier
            int[] a2 = concat(again, reuse.outputTokens(), prompt(4, 17));
            GenerationResult second = run(e, "a2", "A", a2, 4);
            assertThat(second.kvSource()).isEqualTo(KvSource.HOST);
            assertThat(second.outputTokens()).containsExactly(run(e, "cold", null, a2, 4).outputTokens());

            List<KvChunk> chunks = e.exportKv("A");
            assertThat(chunks).isNotEmpty();
            assertThat(chunks.get(0).kvDim()).isEqualTo(40);
            try (BatchingEngine restarted = engine(1, 512, 6 * blockBytes)) {
                restarted.importKv("A", chunks);
                int[] a3 = concat(a2, second.outputTokens(), prompt(3, 18));
                GenerationResult third = run(restarted, "a3", "A", a3, 4);
                assertThat(third.kvSource()).isEqualTo(KvSource.STATE);
                assertThat(third.cachedTokens()).isEqualTo(a2.length + 3);
                assertThat(third.outputTokens()).containsExactly(run(restarted, "cold3", null, a3, 4).outputTokens());
            }
        }
    }
}
