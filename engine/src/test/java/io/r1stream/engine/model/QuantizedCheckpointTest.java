package io.r1stream.engine.model;

import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.model.load.QuantizationConfig;
import io.r1stream.engine.model.load.QuantizedCheckpointWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GPTQ (4 and 8 bits, act order with g_idx, group -1, v1 zero points), AWQ (gemm) and FP8 (128x128 blocks)
 * checkpoints loaded unchanged: logits equal the numpy dequantize-then-forward reference
 * (tools/reference/hf_logits.py + quantized.py) to float32 rounding. And int8/q4 quantized at load equal the
 * reference run on the checkpoint {@code model quantize} writes for the same format.
 */
class QuantizedCheckpointTest {
    @TempDir Path tmp;

    private static final int[] TOKENS = {3, 141, 59, 26, 535, 89, 79, 323, 84, 626, 433, 83, 279, 502, 88, 41};

    @ParameterizedTest
    @CsvSource({
            "QWEN2,gptq,4,32,false,true,auto", "QWEN2,gptq,8,-1,true,false,auto", "LLAMA,gptq,4,128,true,false,auto",
            "LLAMA,gptq,8,64,false,true,auto", "QWEN2,awq,4,64,false,false,auto", "QWEN2,fp8,8,0,true,false,f32",
            "QWEN2,gptq,4,64,true,true,f32"})
    void preQuantizedCheckpointsMatchTheDequantizingReference(Architecture arch, String method, int bits, int group,
                                                               boolean sym, boolean descAct, String format) throws Exception {
        Path dense = WeightsOnlyModel.write(tmp.resolve("dense"), arch, ModelSize.SMALL, TensorDtype.BF16, 1, 11);
        Path q = tmp.resolve(method);
        QuantizedCheckpointWriter.write(dense, q, new QuantizedCheckpointWriter.Options(method, bits, group == 0 ? 128 : group, sym, descAct, false, 5));
        assertClose(load(q, format), q);
    }

    @ParameterizedTest
    @CsvSource({"int8,8,-1,true", "int8:g64,8,64,true", "q4,4,32,true", "q4:g64:zp,4,64,false", "int8:g32:zp,8,32,false"})
    void quantizingAtLoadEqualsTheWrittenCheckpoint(String format, int bits, int group, boolean sym) throws Exception {
        Path dense = WeightsOnlyModel.write(tmp.resolve("dense"), Architecture.QWEN2, ModelSize.SMALL, TensorDtype.BF16, 1, 12);
        Path q = tmp.resolve("q");
        QuantizedCheckpointWriter.write(dense, q, new QuantizedCheckpointWriter.Options("gptq", bits, group, sym, false, true, 1));
        Transformer atLoad = load(dense, format);
        assertClose(atLoad, q); // the dense checkpoint quantized in memory == the reference on the written one
        Transformer auto = load(q, "auto");
        float[] a = WeightsOnlyModel.prefillLogits(atLoad, TOKENS), b = WeightsOnlyModel.prefillLogits(auto, TOKENS);
        assertThat(a).containsExactly(b); // same codes, same kernels
        // auto reports the format the codes are held in (what bench engine labels the row), not the dense default
        assertThat(auto.weights().format()).isEqualTo(bits == 8 ? WeightFormat.INT8 : WeightFormat.Q4);
    }

    @Test
    void keptTensorsStayAtTheCheckpointPrecision() throws Exception {
        Path dense = WeightsOnlyModel.write(tmp.resolve("dense"), Architecture.QWEN2, ModelSize.SMALL, TensorDtype.BF16, 1, 13);
        ModelWeights w = load(dense, "q4:keep=down_proj,embed_tokens").weights();
        assertThat(w.layers().get(0).down()).isInstanceOf(Bf16Linear.class);
        assertThat(w.layers().get(0).gateUp()).isInstanceOf(Q4Linear.class);
        assertThat(w.embedding()).isInstanceOf(Bf16Linear.class);
        assertThat(load(dense, "int8").weights().lmHead()).isInstanceOf(Int8Linear.class);
    }

    @Test
    void missingPackedTensorsAreNamed() throws Exception {
        Path dense = WeightsOnlyModel.write(tmp.resolve("dense"), Architecture.QWEN2, ModelSize.SMALL, TensorDtype.BF16, 1, 14);
        Path q = tmp.resolve("awq");
        QuantizedCheckpointWriter.write(dense, q, new QuantizedCheckpointWriter.Options("awq", 4, 64, false, false, false, 1));
        Files.writeString(q.resolve("config.json"), Files.readString(q.resolve("config.json")).replace("\"awq\"", "\"gptq\""));
        assertThatThrownBy(() -> load(q, "auto")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.layers.0.self_attn.q_proj.qweight").hasMessageContaining("shape");
        assertThatThrownBy(() -> WeightFormatSpec.parse("q4:g7x")).hasMessageContaining("is not one of gN");
        assertThatThrownBy(() -> WeightFormatSpec.parse("bf16:g32")).hasMessageContaining("apply to int8 and q4");
    }

    static Transformer load(Path dir, String format) {
        ModelConfig c = ModelConfig.read(dir);
        MatmulThreads threads = new MatmulThreads(1);
        return new Transformer(ModelWeights.load(c, Checkpoint.open(dir), WeightFormatSpec.parse(format), QuantizationConfig.read(dir), threads), threads, 16);
    }

    private static void assertClose(Transformer t, Path referenceDir) throws Exception {
        float[] ours = WeightsOnlyModel.prefillLogits(t, TOKENS);
        float[] ref = ReferenceLogitsTest.reference(referenceDir, TOKENS);
        assertThat(ref).hasSameSizeAs(ours);
        double maxAbs = 0, maxLogit = 0;
        for (int i = 0; i < ours.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ours[i] - ref[i]));
            maxLogit = Math.max(maxLogit, Math.abs(ref[i]));
        }
        assertThat(maxAbs).as("max |ours - reference| with logits up to %.2f", maxLogit).isLessThan(2e-5 * Math.max(1, maxLogit));
    }
}
