package io.r1stream.engine.model.djl;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.ModelWeights;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.Transformer;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.model.gen.WeightsWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The DJL forward pass against the pure-Java {@link Transformer}, on real generated safetensors, on the CPU. */
class DjlTransformerTest {
    private static final double TOL = 1e-4;
    private static final int[] PROMPT = {1, 17, 900, 3, 511, 42, 7, 1000, 256, 64};
    private static final int[] DECODE = {5, 999, 128, 33, 700};
    private static double maxAbsDiffSeen;

    @TempDir Path dir;

    @AfterAll
    static void report() {
        System.out.println("DjlTransformerTest: max |djl - java| over all f32 comparisons = " + maxAbsDiffSeen);
    }

    static Stream<Arguments> checkpoints() {
        return Stream.of(
                Arguments.of(Architecture.QWEN2, TensorDtype.F32),
                Arguments.of(Architecture.LLAMA, TensorDtype.F32),
                Arguments.of(Architecture.QWEN2, TensorDtype.F16),
                Arguments.of(Architecture.LLAMA, TensorDtype.F16),
                Arguments.of(Architecture.QWEN2, TensorDtype.BF16),
                Arguments.of(Architecture.LLAMA, TensorDtype.BF16));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("checkpoints")
    void prefillAndDecodeMatchJavaTransformer(Architecture arch, TensorDtype stored) throws IOException {
        ModelConfig cfg = writeModel(dir, ModelSize.TINY.config(arch, torchDtype(stored)), stored, 42);
        if (arch == Architecture.LLAMA) assertThat(cfg.ropeScaling()).isNotNull();
        if (arch == Architecture.QWEN2) assertThat(cfg.architecture().qkvBias()).isTrue();
        assertMatchesJava(cfg);
    }

    @Test
    void tiedEmbeddingsServeAsLmHead() throws IOException {
        ModelConfig t = ModelSize.TINY.config(Architecture.QWEN2, "float32");
        ModelConfig tied = new ModelConfig(t.architecture(), t.hiddenSize(), t.intermediateSize(), t.numLayers(),
                t.numHeads(), t.numKvHeads(), t.headDim(), t.vocabSize(), t.maxPositionEmbeddings(), t.rmsNormEps(),
                t.ropeTheta(), t.ropeScaling(), true, t.torchDtype());
        ModelConfig cfg = writeModel(dir, tied, TensorDtype.F32, 7);
        assertThat(Checkpoint.open(dir).has("lm_head.weight")).isFalse();
        assertMatchesJava(cfg);
    }

    @Test
    void incrementalDecodeEqualsFullRecompute() throws IOException {
        ModelConfig cfg = writeModel(dir, ModelSize.TINY.config(Architecture.LLAMA, "float32"), TensorDtype.F32, 3);
        int[] all = concat(PROMPT, DECODE);
        try (DjlTransformer djl = new DjlTransformer(cfg, Checkpoint.open(dir), Device.cpu());
             DjlSession inc = djl.newSession()) {
            // chunked prefill (two chunks, so the causal mask is exercised with cached positions), then decode
            inc.forward(slice(all, 0, 4));
            inc.forward(slice(all, 4, PROMPT.length));
            for (int i = PROMPT.length; i < all.length; i++) {
                float[] stepLogits = inc.forward(new int[]{all[i]});
                try (DjlSession full = djl.newSession()) {
                    float[] recomputed = full.forward(slice(all, 0, i + 1));
                    assertClose(stepLogits, recomputed, "decode step at position " + i);
                }
            }
            assertThat(inc.length()).isEqualTo(all.length);
        }
    }

    @Test
    void kvCacheGrowsPastInitialCapacityAndTruncateRewinds() throws IOException {
        ModelConfig cfg = writeModel(dir, ModelSize.TINY.config(Architecture.QWEN2, "float32"), TensorDtype.F32, 5);
        int n = 70; // past the 64-position initial capacity
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = (i * 37 + 11) % cfg.vocabSize();
        try (DjlTransformer djl = new DjlTransformer(cfg, Checkpoint.open(dir), Device.cpu());
             DjlSession inc = djl.newSession(); DjlSession full = djl.newSession()) {
            inc.forward(slice(all, 0, 60));
            float[] grown = null;
            for (int i = 60; i < n; i++) grown = inc.forward(new int[]{all[i]});
            assertClose(grown, full.forward(all), "after growing the KV cache");

            inc.truncate(30);
            assertThat(inc.length()).isEqualTo(30);
            float[] again = inc.forward(slice(all, 30, n));
            assertClose(again, grown, "after truncate and re-prefill");
        }
    }

    @Test
    void stepsDoNotLeakArraysAndCloseFreesTheSession() throws IOException {
        ModelConfig cfg = writeModel(dir, ModelSize.TINY.config(Architecture.QWEN2, "float32"), TensorDtype.F32, 9);
        try (DjlTransformer djl = new DjlTransformer(cfg, Checkpoint.open(dir), Device.cpu())) {
            int weights = djl.manager().getManagedArrays().size();
            DjlSession s = djl.newSession();
            s.forward(PROMPT);
            s.forward(new int[]{5});
            int afterFirst = s.manager().getManagedArrays().size();
            for (int i = 0; i < 20; i++) s.forward(new int[]{i + 1});
            assertThat(s.manager().getManagedArrays()).hasSize(afterFirst);
            assertThat(afterFirst).isEqualTo(2 * cfg.numLayers()); // K and V per layer, nothing else
            s.close();
            assertThat(s.manager().isOpen()).isFalse();
            assertThat(djl.manager().getManagedArrays()).hasSize(weights);
            assertThatThrownBy(() -> s.forward(new int[]{1})).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void rejectsTokensOutsideTheVocabulary() throws IOException {
        ModelConfig cfg = writeModel(dir, ModelSize.TINY.config(Architecture.QWEN2, "float32"), TensorDtype.F32, 1);
        try (DjlTransformer djl = new DjlTransformer(cfg, Checkpoint.open(dir), Device.cpu());
             DjlSession s = djl.newSession()) {
            assertThatThrownBy(() -> s.forward(new int[]{1, cfg.vocabSize()}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> s.forward(new int[0])).isInstanceOf(IllegalArgumentException.class);
            assertThat(s.length()).isZero();
        }
    }

    /** The GPU code path (FLOAT16 weights, float32 norm and softmax) run on the CPU: close to float32. */
    @Test
    void float16ComputeStaysCloseToFloat32() throws IOException {
        ModelConfig cfg = writeModel(dir, ModelSize.TINY.config(Architecture.LLAMA, "bfloat16"), TensorDtype.BF16, 11);
        Checkpoint ckpt = Checkpoint.open(dir);
        try (DjlTransformer f32 = new DjlTransformer(cfg, ckpt, Device.cpu(), DataType.FLOAT32);
             DjlTransformer f16 = new DjlTransformer(cfg, ckpt, Device.cpu(), DataType.FLOAT16);
             DjlSession a = f32.newSession(); DjlSession b = f16.newSession()) {
            assertThat(f16.dtype()).isEqualTo(DataType.FLOAT16);
            float[] la = a.forward(PROMPT), lb = b.forward(PROMPT);
            for (int t : DECODE) { la = a.forward(new int[]{t}); lb = b.forward(new int[]{t}); }
            double maxAbs = 0, maxRef = 0;
            for (int i = 0; i < la.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(la[i] - lb[i]));
                maxRef = Math.max(maxRef, Math.abs(la[i]));
            }
            System.out.println("float16 vs float32: max abs diff " + maxAbs + " (max |logit| " + maxRef + ")");
            assertThat(maxAbs).isLessThan(0.02 * maxRef);
            assertThat(argmax(lb)).isEqualTo(argmax(la));
        }
    }

    // ---- helpers

    private void assertMatchesJava(ModelConfig cfg) {
        Checkpoint ckpt = Checkpoint.open(dir);
        try (MatmulThreads threads = new MatmulThreads(1);
             DjlTransformer djl = new DjlTransformer(cfg, ckpt, Device.cpu());
             DjlSession session = djl.newSession()) {
            assertThat(djl.dtype()).isEqualTo(DataType.FLOAT32);
            Transformer java = new Transformer(ModelWeights.load(cfg, ckpt, WeightFormat.F32, threads), threads, 16);
            KvSequence kv = new KvSequence(java.kvLayout());
            KvBlockSource blocks = KvBlockSource.unbounded(java.kvLayout());

            assertClose(session.forward(PROMPT), javaStep(java, kv, blocks, PROMPT), "prefill of " + PROMPT.length);
            assertThat(session.length()).isEqualTo(PROMPT.length);
            for (int i = 0; i < DECODE.length; i++) {
                int[] one = {DECODE[i]};
                assertClose(session.forward(one), javaStep(java, kv, blocks, one), "decode step " + (i + 1));
            }
            assertThat(session.length()).isEqualTo(PROMPT.length + DECODE.length).isEqualTo(kv.length());
        }
    }

    private static float[] javaStep(Transformer tr, KvSequence kv, KvBlockSource blocks, int[] tokens) {
        assertThat(kv.reserve(kv.length() + tokens.length, blocks)).isTrue();
        return tr.forward(List.of(new SequenceStep(kv, tokens, true)))[0];
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        double maxAbs = 0;
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            maxAbs = Math.max(maxAbs, d);
            if (!(d <= TOL + TOL * Math.abs(expected[i])) && bad.size() < 5) {
                bad.add("[" + i + "] " + actual[i] + " vs " + expected[i]);
            }
        }
        maxAbsDiffSeen = Math.max(maxAbsDiffSeen, maxAbs);
        assertThat(bad).as(what + ": logits differ beyond " + TOL + " (max abs diff " + maxAbs + ")").isEmpty();
    }

    static ModelConfig writeModel(Path dir, ModelConfig cfg, TensorDtype dtype, long seed) throws IOException {
        WeightsWriter.write(dir, cfg, dtype, seed, ModelSize.TINY.initStd(), 1);
        Files.writeString(dir.resolve("config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(cfg.toJson(1, 2)));
        ModelConfig read = ModelConfig.read(dir);
        assertThat(read).isEqualTo(cfg);
        return read;
    }

    private static String torchDtype(TensorDtype d) {
        return switch (d) { case F32 -> "float32"; case F16 -> "float16"; case BF16 -> "bfloat16"; default -> throw new IllegalArgumentException(d.name()); };
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] slice(int[] a, int from, int to) {
        int[] out = new int[to - from];
        System.arraycopy(a, from, out, 0, out.length);
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
