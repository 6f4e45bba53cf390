package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.model.gen.ModelSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every way a model directory can be wrong fails with a message naming the file, tensor or field. */
class CheckpointErrorsTest {
    @TempDir Path tmp;

    private Path model() throws Exception {
        return WeightsOnlyModel.write(tmp.resolve("m"), Architecture.QWEN2, ModelSize.TINY, TensorDtype.F32, 1, 1);
    }

    private static void load(Path dir) {
        ModelConfig c = ModelConfig.read(dir);
        ModelWeights.load(c, Checkpoint.open(dir), WeightFormat.F32, new MatmulThreads(1));
    }

    @Test
    void missingConfig() {
        assertThatThrownBy(() -> ModelConfig.read(tmp)).hasMessageContaining("config.json not found in " + tmp);
    }

    @Test
    void unsupportedArchitecture() throws Exception {
        Path dir = model();
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("Qwen2ForCausalLM", "MistralForCausalLM"));
        assertThatThrownBy(() -> ModelConfig.read(dir)).hasMessageContaining("'MistralForCausalLM' is not supported")
                .hasMessageContaining("Qwen2ForCausalLM").hasMessageContaining("LlamaForCausalLM");
    }

    @Test
    void missingConfigField() throws Exception {
        Path dir = model();
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        n.remove("hidden_size");
        Files.writeString(dir.resolve("config.json"), n.toString());
        assertThatThrownBy(() -> ModelConfig.read(dir)).hasMessageContaining("'hidden_size' is missing");
    }

    @Test
    void unsupportedRopeScaling() throws Exception {
        Path dir = model();
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        n.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
        Files.writeString(dir.resolve("config.json"), n.toString());
        assertThatThrownBy(() -> ModelConfig.read(dir)).hasMessageContaining("rope_scaling type 'yarn' is not supported");
    }

    @Test
    void noWeightsFile() throws Exception {
        Path dir = model();
        Files.delete(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("expected model.safetensors or model.safetensors.index.json");
    }

    @Test
    void missingShard() throws Exception {
        Path dir = WeightsOnlyModel.write(tmp.resolve("s"), Architecture.QWEN2, ModelSize.TINY, TensorDtype.F32, 2, 1);
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("lists shard 'model-00002-of-00002.safetensors'")
                .hasMessageContaining("does not exist");
    }

    @Test
    void missingTensorAndWrongShapeNameTheTensor() throws Exception {
        Path dir = model();
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        n.put("num_hidden_layers", 3); // the file has 2 layers
        Files.writeString(dir.resolve("config.json"), n.toString());
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("tensor 'model.layers.2.").hasMessageContaining("is missing");
        n.put("num_hidden_layers", 2).put("intermediate_size", 100);
        Files.writeString(dir.resolve("config.json"), n.toString());
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("tensor 'model.layers.0.mlp.gate_proj.weight'")
                .hasMessageContaining("has shape [160, 64] but config.json implies [100, 64]");
    }

    @Test
    void unsupportedDtypeAndTruncatedFile() throws Exception {
        Path dir = model();
        String header = "{\"model.embed_tokens.weight\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        writeSafetensors(dir.resolve("model.safetensors"), header, 2);
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("'model.embed_tokens.weight' has dtype I8")
                .hasMessageContaining("F32, F16 and BF16");
        header = "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        writeSafetensors(dir.resolve("model.safetensors"), header, 8);
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("'model.embed_tokens.weight' [4] F32 needs 16 bytes");
        Files.write(dir.resolve("model.safetensors"), new byte[]{1, 2, 3});
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("is not a safetensors file");
    }

    private static void writeSafetensors(Path file, String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
    }
}
