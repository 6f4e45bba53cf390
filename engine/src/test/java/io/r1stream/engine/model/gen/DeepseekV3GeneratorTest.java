package io.r1stream.engine.model.gen;

import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.arch.DeepseekV3Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeepseekV3GeneratorTest {
    @TempDir Path tmp;

    @Test
    void sameSeedGivesIdenticalFilesAndTheConfigReadsBack() throws Exception {
        DeepseekV3Generator.Spec spec = new DeepseekV3Generator.Spec(DeepseekV3Size.TINY, TensorDtype.BF16, 32, true, true, 9, 2, false);
        Path a = DeepseekV3Generator.create(spec, tmp.resolve("a")), b = DeepseekV3Generator.create(spec, tmp.resolve("b"));
        for (String f : new String[]{"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json", "tokenizer.json"}) {
            assertThat(Files.readAllBytes(a.resolve(f))).as(f).isEqualTo(Files.readAllBytes(b.resolve(f)));
        }
        DeepseekV3Config c = DeepseekV3Config.read(a);
        assertThat(c).isEqualTo(DeepseekV3Size.TINY.config(true, true, 32, "bfloat16"));
        assertThat(Files.readString(a.resolve("model.safetensors.index.json")))
                .contains("\"model.layers.0.self_attn.q_a_proj.weight_scale_inv\" : \"model-00002-of-00002.safetensors\"")
                .contains("\"model.layers.0.self_attn.q_a_proj.weight\" : \"model-00001-of-00002.safetensors\"");
    }

    @Test
    void r1ConfigOnlyRoundTripsAndCarriesEveryR1Field() throws Exception {
        Path r1 = DeepseekV3Generator.create(new DeepseekV3Generator.Spec(DeepseekV3Size.DEEPSEEK_R1, TensorDtype.BF16, 128, true, true, 1, 1, true),
                tmp.resolve("r1"));
        assertThat(DeepseekV3Config.read(r1)).isEqualTo(DeepseekV3Size.DEEPSEEK_R1.config(true, true, 128, "bfloat16"));
        String json = Files.readString(r1.resolve("config.json"));
        for (String field : new String[]{"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
                "n_routed_experts", "num_experts_per_tok", "n_shared_experts", "moe_intermediate_size", "first_k_dense_replace",
                "moe_layer_freq", "n_group", "topk_group", "topk_method", "scoring_func", "norm_topk_prob", "routed_scaling_factor",
                "rope_scaling", "num_nextn_predict_layers", "weight_block_size"}) {
            assertThat(json).contains("\"" + field + "\"");
        }
        assertThat(Files.list(r1).toList()).hasSize(1);
        assertThatThrownBy(() -> DeepseekV3Generator.create(new DeepseekV3Generator.Spec(DeepseekV3Size.DEEPSEEK_R1, TensorDtype.BF16, 0,
                true, true, 1, 1, false), tmp.resolve("x"))).hasMessageContaining("--config-only");
    }
}
