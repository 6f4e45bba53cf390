package io.r1stream.engine.model.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r1stream.engine.model.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * config.json's {@code quantization_config}, for the methods r1stream loads unchanged:
 * <ul>
 *   <li>{@code gptq}: {@code bits} 4|8, {@code group_size} (-1 = one group per row), {@code desc_act},
 *       {@code sym}, {@code checkpoint_format} "gptq" (v1: stored zero points are zero - 1, as AutoGPTQ and
 *       GPTQModel write them) or "gptq_v2" (stored as is)</li>
 *   <li>{@code awq}: {@code bits} 4, {@code group_size}, {@code version} "gemm" (AWQ's packing order)</li>
 *   <li>{@code fp8}: {@code weight_block_size} [rows, cols] of float32 {@code weight_scale_inv}</li>
 * </ul>
 *
 * @param group inputs per group; -1 = all inputs of a row
 */
public record QuantizationConfig(String method, int bits, int group, boolean descAct, boolean sym, boolean gptqV1,
                                 String awqVersion, int blockRows, int blockCols) {

    /** The checkpoint's quantization_config, or null when config.json has none (dense weights). */
    public static QuantizationConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonNode q;
        try {
            q = new ObjectMapper().readTree(Files.readString(file)).get("quantization_config");
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (q == null || q.isNull()) return null;
        String method = q.path("quant_method").asText("");
        switch (method) {
            case "gptq" -> {
                int bits = q.path("bits").asInt(4);
                if (bits != 4 && bits != 8) throw bad(file, "gptq bits " + bits + " (r1stream loads 4 and 8)");
                String fmt = q.path("checkpoint_format").asText("gptq");
                if (!fmt.equals("gptq") && !fmt.equals("gptq_v2")) throw bad(file, "gptq checkpoint_format '" + fmt + "' (expected gptq or gptq_v2)");
                return new QuantizationConfig(method, bits, q.path("group_size").asInt(128), q.path("desc_act").asBoolean(false),
                        q.path("sym").asBoolean(true), fmt.equals("gptq"), null, 0, 0);
            }
            case "awq" -> {
                int bits = q.path("bits").asInt(q.path("w_bit").asInt(4));
                String version = q.path("version").asText("gemm").toLowerCase();
                if (bits != 4) throw bad(file, "awq bits " + bits + " (r1stream loads 4)");
                if (!version.equals("gemm")) throw bad(file, "awq version '" + version + "' (r1stream loads gemm)");
                return new QuantizationConfig(method, 4, q.path("group_size").asInt(q.path("q_group_size").asInt(128)), false,
                        !q.path("zero_point").asBoolean(true), false, version, 0, 0);
            }
            case "fp8" -> {
                JsonNode block = q.get("weight_block_size");
                if (block == null || block.size() != 2) throw bad(file, "fp8 without weight_block_size [rows, cols] (r1stream loads block-scaled FP8)");
                return new QuantizationConfig(method, 8, 0, false, true, false, null, block.get(0).asInt(), block.get(1).asInt());
            }
            default -> throw bad(file, "quant_method '" + method + "' (r1stream loads gptq, awq and fp8 checkpoints)");
        }
    }

    /** Inputs per group for a matrix of {@code in} inputs. */
    public int groupFor(int in) { return group <= 0 || group > in ? in : group; }

    private static ModelFormatException bad(Path file, String what) {
        return new ModelFormatException(file + ": quantization_config has " + what);
    }
}
