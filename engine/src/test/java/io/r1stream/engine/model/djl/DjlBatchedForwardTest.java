package io.r1stream.engine.model.djl;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.r1stream.engine.BatchingEngine;
import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.KvSource;
import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.ForwardPass;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.Transformer;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.WeightsOnlyModel;
import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.sample.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The batching engine's DJL (GPU) forward step, run on DJL's CPU engine against the Java forward step. */
class DjlBatchedForwardTest {
    @TempDir static Path tmp;
    static Transformer java;
    static DjlTransformer djl;

    @BeforeAll
    static void load() throws Exception {
        Path dir = WeightsOnlyModel.write(tmp, Architecture.LLAMA, ModelSize.TINY, TensorDtype.BF16, 1, 13);
        java = WeightsOnlyModel.load(dir, WeightFormat.F32);
        djl = new DjlTransformer(ModelConfig.read(dir), Checkpoint.open(dir), Device.cpu(), DataType.FLOAT32);
    }

    @AfterAll
    static void close() { djl.close(); }

    private static int[] tokens(int n, int seed) { return IntStream.range(0, n).map(i -> 3 + (i * 41 + seed * 97) % 900).toArray(); }

    /** Two batched steps (ragged prefills, then a decode of each) give the Java path's logits. */
    @Test
    void batchedStepsMatchTheJavaForwardPass() {
        int[][] prompts = {tokens(7, 1), tokens(1, 2), tokens(19, 3)};
        List<float[]> expected = run(java, prompts), actual = run(new DjlBatchedForward(djl, 16), prompts);
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i), a = actual.get(i);
            float worst = 0;
            for (int v = 0; v < e.length; v++) worst = Math.max(worst, Math.abs(e[v] - a[v]) / Math.max(1, Math.abs(e[v])));
            assertThat(worst).as("logits %d", i).isLessThan(1e-4f);
        }
    }

    private static List<float[]> run(ForwardPass f, int[][] prompts) {
        KvBlockSource blocks = KvBlockSource.unbounded(f.kvLayout());
        List<KvSequence> kvs = new ArrayList<>();
        List<SequenceStep> prefill = new ArrayList<>();
        for (int[] p : prompts) {
            KvSequence kv = new KvSequence(f.kvLayout());
            kv.reserve(p.length + 1, blocks);
            kvs.add(kv);
            prefill.add(new SequenceStep(kv, p, true));
        }
        List<float[]> out = new ArrayList<>(List.of(f.forward(prefill)));
        List<SequenceStep> decode = new ArrayList<>();
        for (KvSequence kv : kvs) decode.add(new SequenceStep(kv, new int[]{5}, true));
        out.addAll(List.of(f.forward(decode)));
        return out;
    }

    /** The whole engine (batching, prefix reuse) on the DJL step gives the tokens of the Java step. */
    @Test
    void engineOnTheDjlStepGeneratesTheSameGreedyTokens() {
        EngineOptions o = EngineOptions.defaults(tmp).withKvBudget(64 * EngineOptions.MIB, 16 * EngineOptions.MIB);
        int[][] prompts = {tokens(9, 4), tokens(30, 5), tokens(2, 6)};
        List<int[]> want = new ArrayList<>();
        try (BatchingEngine e = new BatchingEngine(java, Set.of(), () -> id -> "", o)) {
            for (int i = 0; i < prompts.length; i++) want.add(generate(e, "c" + i, prompts[i]).outputTokens());
        }
        try (BatchingEngine e = new BatchingEngine(new DjlBatchedForward(djl, 16), Set.of(), () -> id -> "", o)) {
            List<java.util.concurrent.CompletableFuture<GenerationResult>> fs = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                fs.add(e.submit(new GenerationRequest("d" + i, "c" + i, prompts[i], SamplingParams.greedy(6))).result());
            }
            for (int i = 0; i < prompts.length; i++) assertThat(fs.get(i).join().outputTokens()).containsExactly(want.get(i));
            GenerationResult again = generate(e, "c1", concat(prompts[1], want.get(1)));
            assertThat(again.kvSource()).isEqualTo(KvSource.ENGINE);
            assertThat(again.cachedTokens()).isEqualTo(prompts[1].length + want.get(1).length - 1);
        }
    }

    private static GenerationResult generate(BatchingEngine e, String conv, int[] prompt) {
        return e.submit(new GenerationRequest(conv + "-" + prompt.length, conv, prompt, SamplingParams.greedy(6))).result().join();
    }

    private static int[] concat(int[] a, int[] b) {
        return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
    }
}
