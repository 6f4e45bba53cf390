package io.r1stream.engine.model.arch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shape of a {@code DeepseekV3ForCausalLM} checkpoint (DeepSeek-V3, DeepSeek-R1, Moonlight), read from
 * config.json with every field DeepSeek-R1's carries. Sizes in elements.
 *
 * <p>Attention is multi-head latent attention (MLA): queries through an optional low-rank {@code q_lora_rank}
 * bottleneck, keys and values from one {@code kv_lora_rank} latent per token plus a {@code qk_rope_head_dim} rope
 * key shared by all heads. Feed-forward is dense below {@code first_k_dense_replace}, then a mixture of
 * {@code n_routed_experts} experts ({@code num_experts_per_tok} chosen per token, sigmoid scores,
 * group-limited) plus {@code n_shared_experts} always-on experts.
 *
 * @param qLoraRank            0 when {@code q_lora_rank} is null (q_proj directly, as DeepSeek-V2-Lite)
 * @param yarn                 null unless {@code rope_scaling.type == "yarn"}
 * @param fp8BlockRows         {@code quantization_config.weight_block_size[0]}, 0 when the checkpoint is not FP8
 * @param numNextnPredictLayers multi-token-prediction layers in the checkpoint (not run; their tensors are skipped)
 */
public record DeepseekV3Config(
        int hiddenSize, int intermediateSize, int moeIntermediateSize, int numLayers, int numHeads, int vocabSize,
        int maxPositionEmbeddings, double rmsNormEps, double ropeTheta,
        int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim,
        int nRoutedExperts, int numExpertsPerTok, int nSharedExperts, int firstKDenseReplace, int moeLayerFreq,
        int nGroup, int topkGroup, boolean normTopkProb, double routedScalingFactor,
        YarnScaling yarn, boolean ropeInterleave, int numNextnPredictLayers, boolean tieWordEmbeddings,
        String torchDtype, int fp8BlockRows, int fp8BlockCols) {

    /** RMSNorm epsilon of q_a_layernorm / kv_a_layernorm: fixed in transformers, whatever rms_norm_eps says. */
    public static final double LATENT_NORM_EPS = 1e-6;

    private static final ObjectMapper JSON = new ObjectMapper();

    public DeepseekV3Config {
        if (nRoutedExperts % nGroup != 0) {
            throw new ModelFormatException("config.json: n_routed_experts (" + nRoutedExperts + ") must be a multiple of n_group (" + nGroup + ")");
        }
        if (topkGroup > nGroup || topkGroup < 1) {
            throw new ModelFormatException("config.json: topk_group (" + topkGroup + ") must be in [1, n_group = " + nGroup + "]");
        }
        if (numExpertsPerTok > topkGroup * (nRoutedExperts / nGroup)) {
            throw new ModelFormatException("config.json: num_experts_per_tok (" + numExpertsPerTok + ") exceeds the experts in "
                    + topkGroup + " of " + nGroup + " groups");
        }
        if (qkRopeHeadDim % 2 != 0) throw new ModelFormatException("config.json: qk_rope_head_dim (" + qkRopeHeadDim + ") must be even");
    }

    public int qHeadDim() { return qkNopeHeadDim + qkRopeHeadDim; }

    /** Per-token, per-layer cached values: the latent and the shared rope key (576 for R1). */
    public int kvCacheDim() { return kvLoraRank + qkRopeHeadDim; }

    /** Whether layer l is a mixture of experts (else a dense MLP), as DeepSeek's modeling code decides. */
    public boolean isMoeLayer(int layer) {
        return nRoutedExperts > 0 && layer >= firstKDenseReplace && layer % moeLayerFreq == 0;
    }

    public boolean fp8() { return fp8BlockRows > 0; }

    /** Softmax scale: 1/sqrt(qk head dim), times mscale(factor, mscale_all_dim)^2 under YaRN. */
    public double softmaxScale() {
        double s = 1.0 / Math.sqrt(qHeadDim());
        return yarn == null ? s : s * yarn.softmaxScaleFactor();
    }

    /**
     * The generic view the rest of the engine reads (vocabulary, layers, hidden size, dtype). Heads are MLA's
     * query heads; {@code headDim} is the query/key head size; rope scaling lives here, not there.
     */
    public ModelConfig baseConfig() {
        return new ModelConfig(Architecture.DEEPSEEK_V3, hiddenSize, intermediateSize, numLayers, numHeads, numHeads,
                qHeadDim(), vocabSize, maxPositionEmbeddings, rmsNormEps, ropeTheta, null, tieWordEmbeddings, torchDtype);
    }

    // ---- parameter counts (what planning and bandwidth limits are computed from)

    public long attentionParameters() {
        long h = hiddenSize, H = numHeads;
        long q = qLoraRank > 0 ? h * qLoraRank + qLoraRank + (long) qLoraRank * H * qHeadDim() : h * H * qHeadDim();
        long kv = h * kvCacheDim() + kvLoraRank + (long) kvLoraRank * H * (qkNopeHeadDim + vHeadDim);
        return q + kv + H * vHeadDim * h;
    }

    private long mlp(long inter) { return 3L * hiddenSize * inter; }

    /** Feed-forward parameters of layer l: all of them (total) or those one token reads (active). */
    public long feedForwardParameters(int layer, boolean activeOnly) {
        if (!isMoeLayer(layer)) return mlp(intermediateSize);
        long experts = activeOnly ? numExpertsPerTok : nRoutedExperts;
        return (experts + nSharedExperts) * mlp(moeIntermediateSize) + (long) nRoutedExperts * hiddenSize + nRoutedExperts;
    }

    public long parameterCount() { return parameters(false); }

    /** Parameters one decoded token reads: every attention matrix, the chosen and shared experts, lm_head. */
    public long activeParametersPerToken() {
        return parameters(true) - (tieWordEmbeddings ? 0 : (long) vocabSize * hiddenSize);
    }

    private long parameters(boolean active) {
        long n = 0;
        for (int l = 0; l < numLayers; l++) n += attentionParameters() + feedForwardParameters(l, active) + 2L * hiddenSize;
        long embed = (long) vocabSize * hiddenSize;
        return n + hiddenSize + embed + (tieWordEmbeddings ? 0 : embed);
    }

    // ---- config.json

    public static DeepseekV3Config read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        try {
            return fromJson(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new ModelFormatException(file + " is not readable JSON: " + e.getMessage(), e);
        }
    }

    public static DeepseekV3Config fromJson(JsonNode n) {
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new ModelFormatException("config.json: hidden_act '" + act + "' is not supported; DeepseekV3 uses 'silu'");
        String scoring = n.path("scoring_func").asText("sigmoid");
        String method = n.path("topk_method").asText("noaux_tc");
        if (!scoring.equals("sigmoid") || !method.equals("noaux_tc")) {
            throw new ModelFormatException("config.json: scoring_func '" + scoring + "' with topk_method '" + method
                    + "' is not supported; r1stream routes DeepseekV3 experts with scoring_func 'sigmoid' and topk_method "
                    + "'noaux_tc' (softmax routing, DeepseekV2's, is not implemented)");
        }
        YarnScaling yarn = null;
        JsonNode rs = n.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            String type = rs.has("type") ? rs.get("type").asText() : rs.path("rope_type").asText("");
            if (!type.equals("yarn")) {
                throw new ModelFormatException("config.json: rope_scaling type '" + type + "' is not supported for DeepseekV3; r1stream implements 'yarn' (or none)");
            }
            yarn = new YarnScaling(num(rs, "factor"), integer(rs, "original_max_position_embeddings"),
                    rs.path("beta_fast").asDouble(32), rs.path("beta_slow").asDouble(1),
                    rs.path("mscale").asDouble(0), rs.path("mscale_all_dim").asDouble(0));
        }
        int blockRows = 0, blockCols = 0;
        JsonNode qc = n.get("quantization_config");
        if (qc != null && !qc.isNull()) {
            String qm = qc.path("quant_method").asText("");
            String fmt = qc.path("fmt").asText("e4m3");
            JsonNode bs = qc.get("weight_block_size");
            if (!qm.equals("fp8") || !fmt.equals("e4m3") || bs == null || bs.size() != 2) {
                throw new ModelFormatException("config.json: quantization_config " + qc + " is not supported; r1stream reads "
                        + "quant_method 'fp8', fmt 'e4m3' with a two-element weight_block_size (block-scaled FP8, as DeepSeek releases it)");
            }
            blockRows = bs.get(0).asInt();
            blockCols = bs.get(1).asInt();
        }
        int heads = integer(n, "num_attention_heads");
        return new DeepseekV3Config(integer(n, "hidden_size"), integer(n, "intermediate_size"), integer(n, "moe_intermediate_size"),
                integer(n, "num_hidden_layers"), heads, integer(n, "vocab_size"),
                n.path("max_position_embeddings").asInt(4096), num(n, "rms_norm_eps"), n.path("rope_theta").asDouble(10000),
                n.hasNonNull("q_lora_rank") ? n.get("q_lora_rank").asInt() : 0, integer(n, "kv_lora_rank"),
                integer(n, "qk_nope_head_dim"), integer(n, "qk_rope_head_dim"), integer(n, "v_head_dim"),
                n.path("n_routed_experts").asInt(0), n.path("num_experts_per_tok").asInt(0), n.path("n_shared_experts").asInt(0),
                n.path("first_k_dense_replace").asInt(0), n.path("moe_layer_freq").asInt(1),
                n.path("n_group").asInt(1), n.path("topk_group").asInt(1), n.path("norm_topk_prob").asBoolean(false),
                n.path("routed_scaling_factor").asDouble(1.0), yarn, n.path("rope_interleave").asBoolean(true),
                n.path("num_nextn_predict_layers").asInt(0), n.path("tie_word_embeddings").asBoolean(false),
                n.path("torch_dtype").asText("bfloat16"), blockRows, blockCols);
    }

    /** config.json in the layout DeepSeek-R1's has (the generator writes it; the planner reads it back). */
    public ObjectNode toJson(int bosTokenId, int eosTokenId) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("DeepseekV3ForCausalLM");
        n.put("attention_bias", false);
        n.put("attention_dropout", 0.0);
        n.put("bos_token_id", bosTokenId);
        n.put("eos_token_id", eosTokenId);
        n.put("first_k_dense_replace", firstKDenseReplace);
        n.put("hidden_act", "silu");
        n.put("hidden_size", hiddenSize);
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", intermediateSize);
        n.put("kv_lora_rank", kvLoraRank);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("model_type", "deepseek_v3");
        n.put("moe_intermediate_size", moeIntermediateSize);
        n.put("moe_layer_freq", moeLayerFreq);
        n.put("n_group", nGroup);
        n.put("n_routed_experts", nRoutedExperts);
        n.put("n_shared_experts", nSharedExperts);
        n.put("norm_topk_prob", normTopkProb);
        n.put("num_attention_heads", numHeads);
        n.put("num_experts_per_tok", numExpertsPerTok);
        n.put("num_hidden_layers", numLayers);
        n.put("num_key_value_heads", numHeads);
        n.put("num_nextn_predict_layers", numNextnPredictLayers);
        n.put("q_lora_rank", qLoraRank > 0 ? qLoraRank : null);
        if (qLoraRank == 0) n.putNull("q_lora_rank");
        n.put("qk_nope_head_dim", qkNopeHeadDim);
        n.put("qk_rope_head_dim", qkRopeHeadDim);
        if (fp8()) {
            ObjectNode q = n.putObject("quantization_config");
            q.put("activation_scheme", "dynamic");
            q.put("fmt", "e4m3");
            q.put("quant_method", "fp8");
            q.putArray("weight_block_size").add(fp8BlockRows).add(fp8BlockCols);
        }
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_interleave", ropeInterleave);
        if (yarn != null) {
            ObjectNode r = n.putObject("rope_scaling");
            r.put("beta_fast", yarn.betaFast());
            r.put("beta_slow", yarn.betaSlow());
            r.put("factor", yarn.factor());
            r.put("mscale", yarn.mscale());
            r.put("mscale_all_dim", yarn.mscaleAllDim());
            r.put("original_max_position_embeddings", yarn.originalMaxPositionEmbeddings());
            r.put("type", "yarn");
        } else {
            n.putNull("rope_scaling");
        }
        n.put("rope_theta", ropeTheta);
        n.put("routed_scaling_factor", routedScalingFactor);
        n.put("scoring_func", "sigmoid");
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("topk_group", topkGroup);
        n.put("topk_method", "noaux_tc");
        n.put("torch_dtype", torchDtype);
        n.put("transformers_version", "4.46.3");
        n.put("use_cache", true);
        n.put("v_head_dim", vHeadDim);
        n.put("vocab_size", vocabSize);
        return n;
    }

    private static int integer(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) throw new ModelFormatException("config.json: '" + field + "' is missing or not an integer");
        return v.asInt();
    }

    private static double num(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new ModelFormatException("config.json: '" + field + "' is missing or not a number");
        return v.asDouble();
    }
}
