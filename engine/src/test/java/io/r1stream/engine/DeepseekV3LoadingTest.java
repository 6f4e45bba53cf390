package io.r1stream.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.ModelFormatException;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.arch.AssembledDecoder;
import io.r1stream.engine.model.gen.DeepseekV3Generator;
import io.r1stream.engine.model.gen.DeepseekV3Size;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A generated FP8 DeepseekV3 directory (config, tokenizer, sharded safetensors) through LoadedModel, and what it refuses. */
class DeepseekV3LoadingTest {
    @TempDir static Path tmp;
    static Path dir;

    @BeforeAll
    static void generate() {
        dir = DeepseekV3Generator.create(new DeepseekV3Generator.Spec(DeepseekV3Size.TINY, TensorDtype.BF16, 32, true, true, 7, 2, false),
                tmp.resolve("dsv3"));
    }

    @Test
    void loadsOnTheCpuAsBf16AndChats() {
        try (LoadedModel m = LoadedModel.load(EngineOptions.defaults(dir))) {
            assertThat(m.config().architecture().hfClassName()).isEqualTo("DeepseekV3ForCausalLM");
            AssembledDecoder d = (AssembledDecoder) m.forwardPass();
            assertThat(d.format()).isEqualTo(WeightFormat.BF16); // FP8 checkpoints dequantize to bf16 by default
            try (BatchingEngine e = new BatchingEngine(m.forwardPass(), Set.of(), m::newDetokenizer, EngineOptions.defaults(dir))) {
                int[] prompt = m.chatPrompt(null, List.of(ChatMessage.user("Hello there")));
                GenerationResult r = e.submit(new GenerationRequest("g", null, prompt, SamplingParams.greedy(8))).result().join();
                assertThat(r.outputTokens()).hasSize(8);
            }
        }
    }

    @Test
    void theGpuPathRefusesDeepseekV3() {
        assertThatThrownBy(() -> LoadedModel.load(EngineOptions.defaults(dir).withDevice("gpu")))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("DeepseekV3ForCausalLM").hasMessageContaining("--device cpu");
        try (LoadedModel auto = LoadedModel.load(EngineOptions.defaults(dir).withDevice("auto"))) {
            assertThat(auto.forwardPass().device()).isEqualTo("cpu");
        }
    }

    @Test
    void deepseekV2AndSoftmaxRoutingAreRefusedByName() throws Exception {
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        n.putArray("architectures").add("DeepseekV2ForCausalLM");
        assertThatThrownBy(() -> ModelConfig.fromJson(n)).hasMessageContaining("'DeepseekV2ForCausalLM'").hasMessageContaining("softmax");
        n.putArray("architectures").add("DeepseekV3ForCausalLM");
        n.put("scoring_func", "softmax");
        assertThatThrownBy(() -> ModelConfig.fromJson(n)).hasMessageContaining("scoring_func 'softmax'");
    }

    @Test
    void anFp8TensorWithoutItsScaleIsNamed() throws Exception {
        Path copy = tmp.resolve("broken");
        Files.createDirectories(copy);
        for (Path p : Files.list(dir).toList()) Files.copy(p, copy.resolve(p.getFileName()));
        Path index = copy.resolve("model.safetensors.index.json");
        ObjectNode idx = (ObjectNode) new ObjectMapper().readTree(index.toFile());
        ((ObjectNode) idx.get("weight_map")).remove("model.layers.0.self_attn.o_proj.weight_scale_inv");
        Files.writeString(index, idx.toString());
        assertThatThrownBy(() -> LoadedModel.load(EngineOptions.defaults(copy)))
                .hasMessageContaining("'model.layers.0.self_attn.o_proj.weight_scale_inv'");
    }
}
