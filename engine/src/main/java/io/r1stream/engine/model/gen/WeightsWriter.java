package io.r1stream.engine.model.gen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.SafetensorsWriter;
import io.r1stream.engine.model.TensorDtype;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes random weights for a config in Hugging Face's tensor names and shapes, as one
 * {@code model.safetensors} or as {@code model-0000N-of-0000M.safetensors} shards plus
 * {@code model.safetensors.index.json} (layers split evenly across shards, as transformers does by size).
 */
public final class WeightsWriter {
    private record Tensor(String name, long[] shape, double std, double mean) {}

    private WeightsWriter() {}

    public static void write(Path dir, ModelConfig c, TensorDtype dtype, long seed, double initStd, int shards) throws IOException {
        if (shards < 1) throw new IllegalArgumentException("--shards must be >= 1, got " + shards);
        WeightInit init = new WeightInit(seed);
        List<List<Tensor>> perShard = new ArrayList<>();
        for (int i = 0; i < shards; i++) perShard.add(new ArrayList<>());
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize(), vocab = c.vocabSize();
        perShard.get(0).add(new Tensor("model.embed_tokens.weight", new long[]{vocab, h}, initStd == 0 ? 1.0 : initStd, 0));
        for (int l = 0; l < c.numLayers(); l++) {
            List<Tensor> t = perShard.get((int) ((long) l * shards / c.numLayers()));
            String p = "model.layers." + l + ".";
            t.add(new Tensor(p + "input_layernorm.weight", new long[]{h}, 0.1, 1.0));
            t.add(matrix(p + "self_attn.q_proj.weight", q, h, initStd));
            t.add(matrix(p + "self_attn.k_proj.weight", kv, h, initStd));
            t.add(matrix(p + "self_attn.v_proj.weight", kv, h, initStd));
            if (c.architecture().qkvBias()) {
                t.add(new Tensor(p + "self_attn.q_proj.bias", new long[]{q}, 0.1, 0));
                t.add(new Tensor(p + "self_attn.k_proj.bias", new long[]{kv}, 0.1, 0));
                t.add(new Tensor(p + "self_attn.v_proj.bias", new long[]{kv}, 0.1, 0));
            }
            t.add(matrix(p + "self_attn.o_proj.weight", h, q, initStd));
            t.add(new Tensor(p + "post_attention_layernorm.weight", new long[]{h}, 0.1, 1.0));
            t.add(matrix(p + "mlp.gate_proj.weight", inter, h, initStd));
            t.add(matrix(p + "mlp.up_proj.weight", inter, h, initStd));
            t.add(matrix(p + "mlp.down_proj.weight", h, inter, initStd));
        }
        List<Tensor> last = perShard.get(shards - 1);
        last.add(new Tensor("model.norm.weight", new long[]{h}, 0.1, 1.0));
        if (!c.tieWordEmbeddings()) last.add(matrix("lm_head.weight", vocab, h, initStd));

        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode();
        ObjectNode weightMap = json.createObjectNode();
        long totalBytes = 0;
        for (int s = 0; s < shards; s++) {
            String file = shards == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            SafetensorsWriter w = new SafetensorsWriter(dtype);
            for (Tensor t : perShard.get(s)) {
                int n = Math.toIntExact(count(t.shape));
                w.add(t.name, t.shape, () -> init.normal(t.name, n, t.std, t.mean));
                weightMap.put(t.name, file);
            }
            totalBytes += w.dataBytes();
            w.write(dir.resolve(file));
        }
        if (shards > 1) {
            index.putObject("metadata").put("total_size", totalBytes);
            index.set("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"),
                    json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        }
    }

    /** std 0 means 1/sqrt(in): unit-variance outputs for unit-variance inputs. */
    private static Tensor matrix(String name, long out, long in, double initStd) {
        return new Tensor(name, new long[]{out, in}, initStd == 0 ? 1.0 / Math.sqrt(in) : initStd, 0);
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
