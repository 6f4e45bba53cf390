package io.r1stream.engine.model.gen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.model.GenerationDefaults;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.arch.DeepseekV3Config;
import io.r1stream.engine.model.load.Fp8Block;
import io.r1stream.engine.tokenizer.TokenizerGenerator;
import io.r1stream.engine.tokenizer.TokenizerSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@code DeepseekV3ForCausalLM} model directory with random weights in DeepSeek-R1's tensor layout:
 * config.json, generation_config.json, the R1 tokenizer files and safetensors, BF16 / F32, or FP8 as DeepSeek
 * ships it ({@code --fp8}: every attention and expert projection F8_E4M3 with an F32 {@code _scale_inv} per
 * block; embeddings, norms, the router and lm_head in BF16; {@code e_score_correction_bias} always F32). With
 * shards, layers are split across files and every {@code _scale_inv} goes to the last shard, so readers must
 * look tensors up through the index. The multi-token-prediction layer's tensors are written too (readers skip
 * them). {@code configOnly} writes config.json alone (R1's 671B parameters are for planning, not for here).
 *
 * <p>Weights have unit-variance outputs (std 1/sqrt(in)) so logits are peaked (FACTS.md); router biases are
 * positive so the biased choice scores never go below the masked value in any reference implementation.
 */
public final class DeepseekV3Generator {
    /**
     * @param fp8Block 0 for bf16/f32 weights; else the FP8 block edge (128 as released; tiny uses 32 so several
     *                 blocks, partial ones at the edges, are exercised)
     */
    public record Spec(DeepseekV3Size size, TensorDtype dtype, int fp8Block, boolean qLora, boolean yarn, long seed,
                       int shards, boolean configOnly) {
        public static Spec tiny() { return new Spec(DeepseekV3Size.TINY, TensorDtype.BF16, 0, true, true, 42, 1, false); }
    }

    private record Tensor(String name, long[] shape, double std, double mean, String kind) {}

    private DeepseekV3Generator() {}

    /** The FP8 block edge the CLI's {@code --fp8} uses for a size: 128 as released, 32 for tiny. */
    public static int defaultFp8Block(DeepseekV3Size size) { return size == DeepseekV3Size.TINY ? 32 : 128; }

    public static Path create(Spec spec, Path dir) {
        try {
            Files.createDirectories(dir);
            String torchDtype = spec.dtype() == TensorDtype.F32 ? "float32" : spec.dtype() == TensorDtype.F16 ? "float16" : "bfloat16";
            DeepseekV3Config c = spec.size().config(spec.qLora(), spec.yarn(), spec.fp8Block(), torchDtype);
            if (spec.configOnly()) {
                Files.writeString(dir.resolve("config.json"), c.toJson(0, 1).toPrettyString() + "\n");
                return dir;
            }
            if (spec.size() == DeepseekV3Size.DEEPSEEK_R1) {
                throw new IllegalArgumentException("--size deepseek-r1 has 671B parameters; write its config with --config-only");
            }
            TokenizerSpec tok = TokenizerGenerator.write(dir, spec.size().bpeVocab());
            Files.writeString(dir.resolve("config.json"), c.toJson(tok.bosId(), tok.eosId()).toPrettyString() + "\n");
            Files.writeString(dir.resolve("generation_config.json"), GenerationDefaults.r1Json(tok.bosId(), tok.eosId()).toPrettyString() + "\n");
            writeWeights(dir, c, spec);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes only config.json + safetensors (no tokenizer): for forward-pass tests. */
    public static DeepseekV3Config writeWeightsOnly(Spec spec, Path dir) throws IOException {
        Files.createDirectories(dir);
        String torchDtype = spec.dtype() == TensorDtype.F32 ? "float32" : "bfloat16";
        DeepseekV3Config c = spec.size().config(spec.qLora(), spec.yarn(), spec.fp8Block(), torchDtype);
        Files.writeString(dir.resolve("config.json"), c.toJson(1, 2).toPrettyString() + "\n");
        writeWeights(dir, c, spec);
        return c;
    }

    private static void writeWeights(Path dir, DeepseekV3Config c, Spec spec) throws IOException {
        int shards = spec.shards();
        if (shards < 1) throw new IllegalArgumentException("--shards must be >= 1, got " + shards);
        int layersWritten = c.numLayers() + c.numNextnPredictLayers();
        List<List<Tensor>> perShard = new ArrayList<>();
        for (int i = 0; i < shards; i++) perShard.add(new ArrayList<>());
        long h = c.hiddenSize(), H = c.numHeads(), R = c.kvLoraRank(), dn = c.qkNopeHeadDim(), dr = c.qkRopeHeadDim();
        long dv = c.vHeadDim(), qhd = c.qHeadDim();
        perShard.get(0).add(new Tensor("model.embed_tokens.weight", new long[]{c.vocabSize(), h}, 1.0, 0, "plain"));
        for (int l = 0; l < layersWritten; l++) {
            List<Tensor> t = perShard.get(Math.min(shards - 1, (int) ((long) l * shards / layersWritten)));
            String p = "model.layers." + l + ".";
            t.add(norm(p + "input_layernorm.weight", h));
            if (c.qLoraRank() > 0) {
                t.add(proj(p + "self_attn.q_a_proj.weight", c.qLoraRank(), h));
                t.add(norm(p + "self_attn.q_a_layernorm.weight", c.qLoraRank()));
                t.add(proj(p + "self_attn.q_b_proj.weight", H * qhd, c.qLoraRank()));
            } else {
                t.add(proj(p + "self_attn.q_proj.weight", H * qhd, h));
            }
            t.add(proj(p + "self_attn.kv_a_proj_with_mqa.weight", R + dr, h));
            t.add(norm(p + "self_attn.kv_a_layernorm.weight", R));
            t.add(proj(p + "self_attn.kv_b_proj.weight", H * (dn + dv), R));
            t.add(proj(p + "self_attn.o_proj.weight", h, H * dv));
            t.add(norm(p + "post_attention_layernorm.weight", h));
            // The MTP layer (index num_hidden_layers) is a MoE layer with its extra projections, as in R1.
            if (l >= c.numLayers() || c.isMoeLayer(l)) {
                long e = c.nRoutedExperts(), mi = c.moeIntermediateSize();
                t.add(new Tensor(p + "mlp.gate.weight", new long[]{e, h}, 1.0 / Math.sqrt(h), 0, "plain"));
                t.add(new Tensor(p + "mlp.gate.e_score_correction_bias", new long[]{e}, 0.1, 0, "bias"));
                for (int x = 0; x < e; x++) mlp(t, p + "mlp.experts." + x + ".", h, mi);
                if (c.nSharedExperts() > 0) mlp(t, p + "mlp.shared_experts.", h, mi * c.nSharedExperts());
            } else {
                mlp(t, p + "mlp.", h, c.intermediateSize());
            }
            if (l >= c.numLayers()) {
                t.add(proj(p + "eh_proj.weight", h, 2 * h));
                t.add(norm(p + "enorm.weight", h));
                t.add(norm(p + "hnorm.weight", h));
                t.add(norm(p + "shared_head.norm.weight", h));
            }
        }
        List<Tensor> last = perShard.get(shards - 1);
        last.add(norm("model.norm.weight", h));
        // std 4/sqrt(hidden): logits of std ~4, peaked enough that greedy tokens do not flip on float rounding
        if (!c.tieWordEmbeddings()) last.add(new Tensor("lm_head.weight", new long[]{c.vocabSize(), h}, 4.0 / Math.sqrt(h), 0, "plain"));

        WeightInit init = new WeightInit(spec.seed());
        boolean fp8 = spec.fp8Block() > 0;
        String plainDtype = spec.dtype() == TensorDtype.F32 ? "F32" : "BF16";
        List<TypedSafetensorsWriter> writers = new ArrayList<>();
        for (int s = 0; s < shards; s++) writers.add(new TypedSafetensorsWriter());
        for (int s = 0; s < shards; s++) {
            for (Tensor t : perShard.get(s)) {
                int n = Math.toIntExact(count(t.shape));
                if (t.kind.equals("bias")) {
                    // positive (0.05 + |N(0, 0.1)|), always F32 as in the real checkpoint
                    writers.get(s).add(t.name, t.shape, "F32", 4, () -> {
                        float[] v = init.normal(t.name, n, t.std, 0);
                        for (int i = 0; i < n; i++) v[i] = 0.05f + Math.abs(v[i]);
                        return f32(v);
                    });
                } else if (t.kind.equals("proj") && fp8) {
                    int rows = (int) t.shape[0], cols = (int) t.shape[1], b = spec.fp8Block();
                    long[] scaleShape = {Fp8Block.blocks(rows, b), Fp8Block.blocks(cols, b)};
                    // quantized once, shared by the weight and its scale (written to different shards)
                    Fp8Block.Quantized[] q = new Fp8Block.Quantized[1];
                    java.util.function.Supplier<Fp8Block.Quantized> quant = () -> {
                        if (q[0] == null) q[0] = Fp8Block.quantize(init.normal(t.name, n, t.std, t.mean), rows, cols, b, b);
                        return q[0];
                    };
                    writers.get(s).add(t.name, t.shape, "F8_E4M3", 1, () -> quant.get().weights());
                    writers.get(shards - 1).add(t.name + "_scale_inv", scaleShape, "F32", 4, () -> {
                        float[] sc = quant.get().scaleInv();
                        q[0] = null; // written after its weight (same or later shard); free it
                        return f32(sc);
                    });
                } else {
                    String dt = plainDtype;
                    writers.get(s).add(t.name, t.shape, dt, dt.equals("F32") ? 4 : 2, () -> {
                        float[] v = init.normal(t.name, n, t.std, t.mean);
                        return dt.equals("F32") ? f32(v) : bf16(v);
                    });
                }
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode weightMap = json.createObjectNode();
        long total = 0;
        for (int s = 0; s < shards; s++) {
            String file = shards == 1 ? "model.safetensors" : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            for (String name : writers.get(s).names()) weightMap.put(name, file);
            total += writers.get(s).dataBytes();
            writers.get(s).write(dir.resolve(file));
        }
        if (shards > 1) {
            ObjectNode index = json.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            index.set("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        }
    }

    private static void mlp(List<Tensor> t, String p, long h, long inter) {
        t.add(proj(p + "gate_proj.weight", inter, h));
        t.add(proj(p + "up_proj.weight", inter, h));
        t.add(proj(p + "down_proj.weight", h, inter));
    }

    /** A projection: FP8 in an FP8 checkpoint; std 1/sqrt(in). */
    private static Tensor proj(String name, long out, long in) {
        return new Tensor(name, new long[]{out, in}, 1.0 / Math.sqrt(in), 0, "proj");
    }

    private static Tensor norm(String name, long n) {
        return new Tensor(name, new long[]{n}, 0.1, 1.0, "plain");
    }

    private static byte[] f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    private static byte[] bf16(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort(TensorDtype.floatToBf16(f));
        return b.array();
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
