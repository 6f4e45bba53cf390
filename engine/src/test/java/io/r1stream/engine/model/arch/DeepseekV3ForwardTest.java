package io.r1stream.engine.model.arch;

import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.attention.MlaAttention;
import io.r1stream.engine.model.ffn.MoeFeedForward;
import io.r1stream.engine.sample.Sampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The DeepseekV3 forward pass against itself: cache vs recompute, absorbed vs expanded MLA, batched vs alone. */
class DeepseekV3ForwardTest {
    @TempDir Path tmp;

    private static final int[] TOKENS = DeepseekV3ReferenceTest.TOKENS;

    @Test
    void kvCachedAbsorbedDecodeEqualsFullRecompute() throws Exception {
        AssembledDecoder d = DeepseekV3Models.load(DeepseekV3Models.write(tmp, TensorDtype.F32, false, true, true, 1, 5), WeightFormat.F32);
        KvSequence kv = DeepseekV3Models.sequence(d, TOKENS.length);
        DeepseekV3Models.step(d, kv, Arrays.copyOf(TOKENS, 4));
        for (int i = 4; i < 24; i++) {
            float[] cached = DeepseekV3Models.step(d, kv, TOKENS[i]);
            float[] full = DeepseekV3Models.step(d, DeepseekV3Models.sequence(d, i + 1), Arrays.copyOf(TOKENS, i + 1));
            assertClose(cached, full, 2e-5f, "position " + i);
        }
        assertThat(kv.tokens()).containsExactly(Arrays.copyOf(TOKENS, 24));
    }

    @Test
    void absorbedAttentionEqualsTheExpandedForm() throws Exception {
        AssembledDecoder d = DeepseekV3Models.load(DeepseekV3Models.write(tmp, TensorDtype.F32, false, false, true, 1, 6), WeightFormat.F32);
        DeepseekV3Models.mode(d, MlaAttention.Mode.EXPANDED);
        float[] expanded = DeepseekV3Models.step(d, DeepseekV3Models.sequence(d, TOKENS.length), TOKENS);
        DeepseekV3Models.mode(d, MlaAttention.Mode.ABSORBED);
        float[] absorbed = DeepseekV3Models.step(d, DeepseekV3Models.sequence(d, TOKENS.length), TOKENS);
        assertClose(absorbed, expanded, 2e-5f, "40-token prefill");
        // and a chunked prefill: expanded chunk over a cached prefix, then absorbed decode on top
        DeepseekV3Models.mode(d, MlaAttention.Mode.AUTO);
        KvSequence kv = DeepseekV3Models.sequence(d, TOKENS.length);
        DeepseekV3Models.step(d, kv, Arrays.copyOf(TOKENS, 17));
        DeepseekV3Models.step(d, kv, Arrays.copyOfRange(TOKENS, 17, 39));
        assertClose(DeepseekV3Models.step(d, kv, TOKENS[39]), expanded, 2e-5f, "chunked prefill + decode");
    }

    @Test
    void batchedDecodeGivesTheGreedyTokensOfOneAtATimeWithTokensOnDifferentExperts() throws Exception {
        AssembledDecoder d = DeepseekV3Models.load(DeepseekV3Models.write(tmp, TensorDtype.BF16, false, true, true, 1, 9), WeightFormat.BF16);
        int[][] prompts = {{3, 141, 59, 26, 535}, {89, 79, 323}, {84, 626, 433, 83, 279, 502, 88}, {41}};
        int gen = 12;
        List<int[]> alone = new ArrayList<>();
        for (int[] p : prompts) {
            KvSequence kv = DeepseekV3Models.sequence(d, p.length + gen);
            float[] logits = DeepseekV3Models.step(d, kv, p);
            int[] out = new int[gen];
            for (int i = 0; i < gen; i++) {
                out[i] = Sampler.argmax(logits);
                logits = DeepseekV3Models.step(d, kv, out[i]);
            }
            alone.add(out);
        }
        KvSequence[] kvs = new KvSequence[prompts.length];
        float[][] logits = new float[prompts.length][];
        List<SequenceStep> prefill = new ArrayList<>();
        for (int s = 0; s < prompts.length; s++) {
            kvs[s] = DeepseekV3Models.sequence(d, prompts[s].length + gen);
            prefill.add(new SequenceStep(kvs[s], prompts[s], true));
        }
        logits = d.forward(prefill);
        int[][] batched = new int[prompts.length][gen];
        int maxExperts = 0;
        MoeFeedForward moe = (MoeFeedForward) d.layers().get(2).feedForward();
        for (int i = 0; i < gen; i++) {
            List<SequenceStep> step = new ArrayList<>();
            for (int s = 0; s < prompts.length; s++) {
                batched[s][i] = Sampler.argmax(logits[s]);
                step.add(new SequenceStep(kvs[s], new int[]{batched[s][i]}, true));
            }
            logits = d.forward(step);
            maxExperts = Math.max(maxExperts, moe.expertsReadLastStep());
        }
        for (int s = 0; s < prompts.length; s++) assertThat(batched[s]).as("sequence %d", s).containsExactly(alone.get(s));
        // the 4 decoding tokens did not all pick the same 2 experts: the step read more than one token's share
        assertThat(maxExperts).isGreaterThan(moe.router().k());
    }

    @Test
    void r1ConfigArithmetic() {
        DeepseekV3Config r1 = io.r1stream.engine.model.gen.DeepseekV3Size.DEEPSEEK_R1.config(true, true, 128, "bfloat16");
        assertThat(r1.kvCacheDim()).isEqualTo(576);
        assertThat(DeepseekV3Loader.kvLayout(r1, 16).valuesPerToken() * 2).isEqualTo(70_272L); // bf16 bytes per token
        assertThat(r1.parameterCount()).isBetween(670_000_000_000L, 672_000_000_000L);     // 671B
        assertThat(r1.activeParametersPerToken()).isBetween(36_000_000_000L, 38_000_000_000L); // 37B active
        assertThat(r1.softmaxScale() * Math.sqrt(192)).isCloseTo(1.8738, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(r1.yarn().attentionFactor()).isEqualTo(1.0);
    }

    @Test
    void mtpLayerTensorsAreInTheCheckpointButNotLoaded() throws Exception {
        Path dir = DeepseekV3Models.write(tmp, TensorDtype.BF16, true, true, true, 2, 3);
        Checkpoint ckpt = Checkpoint.open(dir);
        assertThat(ckpt.has("model.layers.3.eh_proj.weight")).isTrue();
        assertThat(ckpt.tensors().get("model.layers.1.self_attn.q_a_proj.weight").dtype()).isEqualTo(TensorDtype.F8_E4M3);
        assertThat(ckpt.tensors().get("model.layers.1.mlp.gate.e_score_correction_bias").dtype()).isEqualTo(TensorDtype.F32);
        assertThat(DeepseekV3Models.load(dir, WeightFormat.BF16).layers()).hasSize(3);
    }

    static void assertClose(float[] a, float[] b, float relTol, String what) {
        double max = 0, scale = 1;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        assertThat(max).as("%s: max diff with logits up to %.2f", what, scale).isLessThan(relTol * scale);
    }
}
