package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model's shape, read from Hugging Face's {@code config.json}. Immutable; every size is in elements.
 *
 * @param headDim             per-head size; {@code hidden_size / num_attention_heads} unless config.json says
 * @param ropeScaling         null unless {@code rope_scaling.rope_type == "llama3"}
 */
public record ModelConfig(
        Architecture architecture,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        String torchDtype) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        if (numHeads % numKvHeads != 0) {
            throw new ModelFormatException("config.json: num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    /** Size of one K (or V) row: all KV heads of one token. */
    public int kvDim() { return numKvHeads * headDim; }

    /** Size of the concatenated query heads (equals hiddenSize for every known checkpoint). */
    public int qDim() { return numHeads * headDim; }

    /** Query heads sharing one KV head (grouped-query attention). */
    public int kvGroup() { return numHeads / numKvHeads; }

    /** Parameter count, the figure bandwidth limits are computed from (embeddings counted once when tied). */
    public long parameterCount() {
        long h = hiddenSize, i = intermediateSize, q = qDim(), kv = kvDim();
        long attn = h * q + 2 * h * kv + q * h + (architecture.qkvBias() ? q + 2 * kv : 0);
        long mlp = 3 * h * i;
        long perLayer = attn + mlp + 2 * h;
        long embed = (long) vocabSize * h;
        return numLayers * perLayer + h + embed + (tieWordEmbeddings ? 0 : embed);
    }

    /** Parameters read for one decoded token: all but the embedding table (one row), lm_head included. */
    public long parametersReadPerToken() {
        long embed = (long) vocabSize * hiddenSize;
        return parameterCount() - (tieWordEmbeddings ? 0 : embed);
    }

    public static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("config.json not found in " + modelDir
                    + ": --model must be a Hugging Face model directory (config.json, tokenizer.json, *.safetensors)");
        }
        try {
            return fromJson(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new ModelFormatException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    public static ModelConfig fromJson(JsonNode n) {
        JsonNode archs = n.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty()) {
            throw new ModelFormatException("config.json: 'architectures' is missing; expected e.g. [\"Qwen2ForCausalLM\"]");
        }
        Architecture arch = Architecture.fromHfClassName(archs.get(0).asText());
        if (arch == Architecture.DEEPSEEK_V3) return io.r1stream.engine.model.arch.DeepseekV3Config.fromJson(n).baseConfig();
        int hidden = requiredInt(n, "hidden_size");
        int heads = requiredInt(n, "num_attention_heads");
        int kvHeads = n.has("num_key_value_heads") ? n.get("num_key_value_heads").asInt() : heads;
        int headDim = n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : hidden / heads;
        RopeScaling scaling = null;
        JsonNode rs = n.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            String type = rs.has("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("");
            if (!type.equals("llama3")) {
                throw new ModelFormatException("config.json: rope_scaling type '" + type
                        + "' is not supported; r1stream implements 'llama3' (or none)");
            }
            scaling = new RopeScaling(requiredDouble(rs, "factor"), requiredDouble(rs, "low_freq_factor"),
                    requiredDouble(rs, "high_freq_factor"), requiredInt(rs, "original_max_position_embeddings"));
        }
        return new ModelConfig(arch, hidden, requiredInt(n, "intermediate_size"), requiredInt(n, "num_hidden_layers"),
                heads, kvHeads, headDim, requiredInt(n, "vocab_size"),
                n.path("max_position_embeddings").asInt(4096), requiredDouble(n, "rms_norm_eps"),
                n.path("rope_theta").asDouble(10000.0), scaling, n.path("tie_word_embeddings").asBoolean(false),
                n.path("torch_dtype").asText("float32"));
    }

    /** config.json as Hugging Face writes it for this shape (used by the model generator). */
    public ObjectNode toJson(int bosTokenId, int eosTokenId) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(architecture.hfClassName());
        n.put("model_type", architecture.modelType());
        n.put("attention_dropout", 0.0);
        n.put("bos_token_id", bosTokenId);
        n.put("eos_token_id", eosTokenId);
        n.put("hidden_act", "silu");
        n.put("hidden_size", hiddenSize);
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", intermediateSize);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("num_attention_heads", numHeads);
        n.put("num_hidden_layers", numLayers);
        n.put("num_key_value_heads", numKvHeads);
        if (headDim != hiddenSize / numHeads) n.put("head_dim", headDim);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling != null) {
            ObjectNode rs = n.putObject("rope_scaling");
            rs.put("factor", ropeScaling.factor());
            rs.put("high_freq_factor", ropeScaling.highFreqFactor());
            rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
            rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            rs.put("rope_type", "llama3");
        } else {
            n.putNull("rope_scaling");
        }
        if (architecture == Architecture.LLAMA) {
            n.put("attention_bias", false);
            n.put("mlp_bias", false);
        }
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("torch_dtype", torchDtype);
        n.put("transformers_version", "4.44.0");
        n.put("use_cache", true);
        n.put("vocab_size", vocabSize);
        return n;
    }

    public ModelConfig withTorchDtype(String dtype) {
        return new ModelConfig(architecture, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                vocabSize, maxPositionEmbeddings, rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings, dtype);
    }

    private static int requiredInt(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new ModelFormatException("config.json: '" + field + "' is missing or not an integer");
        }
        return v.asInt();
    }

    private static double requiredDouble(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) {
            throw new ModelFormatException("config.json: '" + field + "' is missing or not a number");
        }
        return v.asDouble();
    }
}
