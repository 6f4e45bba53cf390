package io.r1stream.engine.model.arch;

import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.model.Bf16Linear;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.F32Linear;
import io.r1stream.engine.model.Linear;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.ModelFormatException;
import io.r1stream.engine.model.SafetensorsFile;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.TensorInfo;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.attention.MlaAttention;
import io.r1stream.engine.model.attention.MlaRope;
import io.r1stream.engine.model.attention.MlaWeights;
import io.r1stream.engine.model.ffn.DenseMlp;
import io.r1stream.engine.model.ffn.ExpertRouter;
import io.r1stream.engine.model.ffn.FeedForward;
import io.r1stream.engine.model.ffn.MoeFeedForward;
import io.r1stream.engine.model.load.Fp8Block;

import java.util.ArrayList;
import java.util.List;

/**
 * Loads a {@code DeepseekV3ForCausalLM} checkpoint, tensor names as Hugging Face's, into an
 * {@link AssembledDecoder} of {@link MlaAttention} and dense / mixture-of-experts feed-forward pieces.
 * FP8 ({@code F8_E4M3}) matrices are dequantized with their {@code <name>_scale_inv} block scales (looked up
 * through the index, so a scale may sit in another shard) into the engine's weight format; norms, the router
 * and {@code e_score_correction_bias} are read as float32. The multi-token-prediction layers
 * ({@code model.layers.<num_hidden_layers ..>}) are not read.
 */
public final class DeepseekV3Loader {
    private final DeepseekV3Config c;
    private final Checkpoint ckpt;
    private final WeightFormat format;
    private final MatmulThreads threads;

    private DeepseekV3Loader(DeepseekV3Config c, Checkpoint ckpt, WeightFormat format, MatmulThreads threads) {
        this.c = c;
        this.ckpt = ckpt;
        this.format = format;
        this.threads = threads;
    }

    /** bf16 for BF16 and FP8 checkpoints (FP8 dequantizes to bf16 as DeepSeek's own conversion does), else f32. */
    public static WeightFormat defaultFormat(TensorDtype dominant) {
        return dominant == TensorDtype.BF16 || dominant == TensorDtype.F8_E4M3 ? WeightFormat.BF16 : WeightFormat.F32;
    }

    /** The compressed KV layout: one (kv_lora_rank + qk_rope_head_dim) row per token and layer, no V. */
    public static KvLayout kvLayout(DeepseekV3Config c, int blockTokens) {
        return new KvLayout(c.numLayers(), c.kvCacheDim(), blockTokens, 0);
    }

    public static AssembledDecoder load(DeepseekV3Config c, Checkpoint ckpt, WeightFormat format, MatmulThreads threads, int kvBlockTokens) {
        return new DeepseekV3Loader(c, ckpt, format, threads).load(kvBlockTokens);
    }

    private AssembledDecoder load(int kvBlockTokens) {
        int h = c.hiddenSize(), H = c.numHeads(), R = c.kvLoraRank(), dn = c.qkNopeHeadDim(), dr = c.qkRopeHeadDim();
        int dv = c.vHeadDim(), qhd = c.qHeadDim();
        KvLayout layout = kvLayout(c, kvBlockTokens);
        MlaRope rope = new MlaRope(c);
        Linear embed = linear(matrix("model.embed_tokens.weight", c.vocabSize(), h), c.vocabSize(), h);
        List<DecoderLayer> layers = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            Linear qA = null, q;
            float[] qANorm = null;
            if (c.qLoraRank() > 0) {
                int qr = c.qLoraRank();
                qA = linear(matrix(p + "self_attn.q_a_proj.weight", qr, h), qr, h);
                qANorm = ckpt.readFloats(p + "self_attn.q_a_layernorm.weight", qr);
                q = linear(matrix(p + "self_attn.q_b_proj.weight", H * qhd, qr), H * qhd, qr);
            } else {
                q = linear(matrix(p + "self_attn.q_proj.weight", H * qhd, h), H * qhd, h);
            }
            Linear kvA = linear(matrix(p + "self_attn.kv_a_proj_with_mqa.weight", R + dr, h), R + dr, h);
            float[] kvANorm = ckpt.readFloats(p + "self_attn.kv_a_layernorm.weight", R);
            float[] kvB = matrix(p + "self_attn.kv_b_proj.weight", H * (dn + dv), R);
            Linear[] keyUp = new Linear[H], valueUp = new Linear[H];
            for (int head = 0; head < H; head++) {
                int base = head * (dn + dv);
                float[] kt = new float[R * dn]; // (R, dn): this head's key rows, transposed
                for (int j = 0; j < dn; j++) for (int r = 0; r < R; r++) kt[r * dn + j] = kvB[(base + j) * R + r];
                keyUp[head] = linear(kt, R, dn);
                float[] vu = new float[dv * R];  // (dv, R): this head's value rows
                System.arraycopy(kvB, (base + dn) * R, vu, 0, dv * R);
                valueUp[head] = linear(vu, dv, R);
            }
            Linear o = linear(matrix(p + "self_attn.o_proj.weight", h, H * dv), h, H * dv);
            MlaWeights mw = new MlaWeights(qA, qANorm, q, kvA, kvANorm, linear(kvB, H * (dn + dv), R), keyUp, valueUp, o);
            layers.add(new DecoderLayer(ckpt.readFloats(p + "input_layernorm.weight", h),
                    new MlaAttention(l, c, mw, rope, layout, threads),
                    ckpt.readFloats(p + "post_attention_layernorm.weight", h), feedForward(l, p + "mlp.")));
        }
        float[] norm = ckpt.readFloats("model.norm.weight", h);
        Linear head = c.tieWordEmbeddings() ? embed : linear(matrix("lm_head.weight", c.vocabSize(), h), c.vocabSize(), h);
        return new AssembledDecoder(c.baseConfig(), layout, format, embed, layers, norm, head, threads);
    }

    private FeedForward feedForward(int layer, String p) {
        if (!c.isMoeLayer(layer)) return mlp(p, c.intermediateSize());
        int e = c.nRoutedExperts(), h = c.hiddenSize();
        float[] gate = ckpt.readFloats(p + "gate.weight", e, h);
        float[] bias = ckpt.readFloats(p + "gate.e_score_correction_bias", e);
        DenseMlp[] experts = new DenseMlp[e];
        for (int i = 0; i < e; i++) experts[i] = mlp(p + "experts." + i + ".", c.moeIntermediateSize());
        DenseMlp shared = c.nSharedExperts() > 0 ? mlp(p + "shared_experts.", c.moeIntermediateSize() * c.nSharedExperts()) : null;
        return new MoeFeedForward(ExpertRouter.of(c, gate, bias), experts, shared);
    }

    private DenseMlp mlp(String p, int inter) {
        int h = c.hiddenSize();
        float[] gate = matrix(p + "gate_proj.weight", inter, h), up = matrix(p + "up_proj.weight", inter, h);
        float[] gu = new float[2 * inter * h];
        System.arraycopy(gate, 0, gu, 0, gate.length);
        System.arraycopy(up, 0, gu, gate.length, up.length);
        return new DenseMlp(linear(gu, 2 * inter, h), linear(matrix(p + "down_proj.weight", h, inter), h, inter));
    }

    /** A (rows, cols) matrix as float32: FP8 dequantized with its block scales, other dtypes widened exactly. */
    private float[] matrix(String name, int rows, int cols) {
        TensorInfo t = ckpt.info(name, rows, cols);
        if (t.dtype() != TensorDtype.F8_E4M3) return ckpt.readFloats(name, rows, cols);
        if (!c.fp8()) {
            throw new ModelFormatException("tensor '" + name + "' is F8_E4M3 but config.json has no quantization_config "
                    + "(quant_method fp8, weight_block_size): the block size of its scales is unknown");
        }
        int br = c.fp8BlockRows(), bc = c.fp8BlockCols();
        String scaleName = name + "_scale_inv";
        if (!ckpt.has(scaleName)) {
            throw new ModelFormatException("FP8 tensor '" + name + "' has no '" + scaleName + "' in the checkpoint in " + ckpt.dir());
        }
        float[] scale = ckpt.readFloats(scaleName, Fp8Block.blocks(rows, br), Fp8Block.blocks(cols, bc));
        return Fp8Block.dequantize(SafetensorsFile.map(t), rows, cols, scale, br, bc);
    }

    private Linear linear(float[] w, int out, int in) {
        if (format == WeightFormat.BF16) {
            short[] b = new short[w.length];
            for (int i = 0; i < w.length; i++) b[i] = TensorDtype.floatToBf16(w[i]);
            return new Bf16Linear(b, out, in, threads);
        }
        return new F32Linear(w, out, in, threads);
    }
}
