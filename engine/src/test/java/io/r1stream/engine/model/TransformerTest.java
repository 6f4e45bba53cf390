package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.gen.ModelSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TransformerTest {
    @TempDir Path tmp;

    private static final int[] TOKENS = {5, 17, 300, 42, 7, 99, 1000, 3, 64, 512, 11, 250};

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"QWEN2", "LLAMA"}) // DeepseekV3: model.arch.DeepseekV3ForwardTest
    void kvCachedDecodingMatchesFullRecompute(Architecture arch) throws Exception {
        Transformer t = WeightsOnlyModel.load(WeightsOnlyModel.write(tmp, arch, ModelSize.TINY, TensorDtype.F32, 1, 7), WeightFormat.F32);
        KvBlockSource blocks = KvBlockSource.unbounded(t.kvLayout());
        KvSequence kv = new KvSequence(t.kvLayout());
        kv.reserve(TOKENS.length, blocks);
        t.forward(List.of(new SequenceStep(kv, Arrays.copyOf(TOKENS, 5), false)));
        float[] last = null;
        for (int i = 5; i < TOKENS.length; i++) {
            last = t.forward(List.of(new SequenceStep(kv, new int[]{TOKENS[i]}, true)))[0];
            float[] full = WeightsOnlyModel.prefillLogits(t, Arrays.copyOf(TOKENS, i + 1));
            assertClose(last, full, 2e-5f);
        }
        assertThat(kv.length()).isEqualTo(TOKENS.length);
        assertThat(kv.tokens()).containsExactly(TOKENS);
    }

    @Test
    void batchedSequencesOfDifferentLengthsMatchOneAtATime() throws Exception {
        Transformer t = WeightsOnlyModel.load(WeightsOnlyModel.write(tmp, Architecture.QWEN2, ModelSize.TINY, TensorDtype.BF16, 1, 3), WeightFormat.BF16);
        int[][] prompts = {Arrays.copyOf(TOKENS, 3), Arrays.copyOf(TOKENS, 12), {9}, Arrays.copyOfRange(TOKENS, 2, 9), {1, 2}};
        KvBlockSource blocks = KvBlockSource.unbounded(t.kvLayout());
        List<SequenceStep> steps = new ArrayList<>();
        for (int[] p : prompts) {
            KvSequence kv = new KvSequence(t.kvLayout());
            kv.reserve(p.length, blocks);
            steps.add(new SequenceStep(kv, p, true));
        }
        float[][] batched = t.forward(steps);
        for (int i = 0; i < prompts.length; i++) {
            assertClose(batched[i], WeightsOnlyModel.prefillLogits(t, prompts[i]), 1e-5f);
        }
    }

    @Test
    void everyCheckpointDtypeAndTheShardedLayoutLoadToTheSameModel() throws Exception {
        float[] f32 = logits(WeightsOnlyModel.write(tmp.resolve("f32"), Architecture.LLAMA, ModelSize.TINY, TensorDtype.F32, 1, 11), WeightFormat.F32);
        float[] sharded = logits(WeightsOnlyModel.write(tmp.resolve("sharded"), Architecture.LLAMA, ModelSize.TINY, TensorDtype.F32, 3, 11), WeightFormat.F32);
        assertThat(sharded).containsExactly(f32);
        // 16-bit files round the same random weights: close to f32, and bf16 read as bf16 or f32 is identical.
        Path bf16Dir = WeightsOnlyModel.write(tmp.resolve("bf16"), Architecture.LLAMA, ModelSize.TINY, TensorDtype.BF16, 1, 11);
        float[] bf16AsBf16 = logits(bf16Dir, WeightFormat.BF16);
        float[] bf16AsF32 = logits(bf16Dir, WeightFormat.F32);
        assertClose(bf16AsBf16, bf16AsF32, 1e-5f);
        float[] f16 = logits(WeightsOnlyModel.write(tmp.resolve("f16"), Architecture.LLAMA, ModelSize.TINY, TensorDtype.F16, 2, 11), WeightFormat.F32);
        assertClose(f16, f32, 0.05f);
        assertClose(bf16AsF32, f32, 0.5f);
        assertThat(Sampler(f16)).isEqualTo(Sampler(f32));
    }

    private static int Sampler(float[] logits) { return io.r1stream.engine.sample.Sampler.argmax(logits); }

    private float[] logits(Path dir, WeightFormat f) {
        return WeightsOnlyModel.prefillLogits(WeightsOnlyModel.load(dir, f), TOKENS);
    }

    static void assertClose(float[] actual, float[] expected, float tol) {
        assertThat(actual).hasSameSizeAs(expected);
        float worst = 0;
        int at = -1;
        for (int i = 0; i < actual.length; i++) {
            float d = Math.abs(actual[i] - expected[i]) / Math.max(1f, Math.abs(expected[i]));
            if (d > worst) { worst = d; at = i; }
        }
        assertThat(worst).as("max relative difference (at %d)", at).isLessThanOrEqualTo(tol);
    }
}
