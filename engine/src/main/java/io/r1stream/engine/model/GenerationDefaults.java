package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code generation_config.json}: the ids that end a generation and the sampling defaults the model was
 * released with (the R1 distills ship temperature 0.6, top_p 0.95). Falls back to config.json's
 * {@code eos_token_id} when the file is absent.
 */
public record GenerationDefaults(Set<Integer> eosTokenIds, int bosTokenId, double temperature, double topP, int topK) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static GenerationDefaults read(Path modelDir) {
        try {
            Path gen = modelDir.resolve("generation_config.json");
            JsonNode cfg = JSON.readTree(modelDir.resolve("config.json").toFile());
            JsonNode n = Files.isRegularFile(gen) ? JSON.readTree(gen.toFile()) : cfg;
            Set<Integer> eos = ids(n.get("eos_token_id"));
            if (eos.isEmpty()) eos = ids(cfg.get("eos_token_id"));
            if (eos.isEmpty()) {
                throw new ModelFormatException("no eos_token_id in generation_config.json or config.json of " + modelDir
                        + ": r1stream needs it to know when an answer ends");
            }
            boolean sample = n.path("do_sample").asBoolean(n.has("temperature"));
            return new GenerationDefaults(eos, n.path("bos_token_id").asInt(cfg.path("bos_token_id").asInt(-1)),
                    sample ? n.path("temperature").asDouble(1.0) : 0.0, n.path("top_p").asDouble(1.0), n.path("top_k").asInt(0));
        } catch (IOException e) {
            throw new ModelFormatException("cannot read generation settings of " + modelDir + ": " + e.getMessage(), e);
        }
    }

    /** generation_config.json as the DeepSeek-R1 distills ship it. */
    public static ObjectNode r1Json(int bos, int eos) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_from_model_config", true);
        n.put("bos_token_id", bos);
        n.put("eos_token_id", eos);
        n.put("do_sample", true);
        n.put("temperature", 0.6);
        n.put("top_p", 0.95);
        n.put("transformers_version", "4.44.0");
        return n;
    }

    private static Set<Integer> ids(JsonNode n) {
        Set<Integer> out = new LinkedHashSet<>();
        if (n == null || n.isNull()) return out;
        if (n.isArray()) n.forEach(x -> out.add(x.asInt()));
        else out.add(n.asInt());
        return out;
    }
}
