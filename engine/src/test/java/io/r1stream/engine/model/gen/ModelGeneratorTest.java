package io.r1stream.engine.model.gen;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelGeneratorTest {
    @TempDir Path tmp;

    @Test
    void sameSeedWritesIdenticalFilesAndAnotherSeedDifferentWeights() throws Exception {
        Path a = ModelGenerator.create(new ModelGenerator.Spec(Architecture.LLAMA, ModelSize.TINY, TensorDtype.BF16, 9, 2), tmp.resolve("a"));
        Path b = ModelGenerator.create(new ModelGenerator.Spec(Architecture.LLAMA, ModelSize.TINY, TensorDtype.BF16, 9, 2), tmp.resolve("b"));
        Path c = ModelGenerator.create(new ModelGenerator.Spec(Architecture.LLAMA, ModelSize.TINY, TensorDtype.BF16, 10, 2), tmp.resolve("c"));
        List<String> files;
        try (Stream<Path> s = Files.list(a)) { files = s.map(p -> p.getFileName().toString()).sorted().toList(); }
        assertThat(files).containsExactly("config.json", "generation_config.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json");
        for (String f : files) assertThat(Files.readAllBytes(b.resolve(f))).as(f).isEqualTo(Files.readAllBytes(a.resolve(f)));
        assertThat(Files.readAllBytes(c.resolve("model-00001-of-00002.safetensors")))
                .isNotEqualTo(Files.readAllBytes(a.resolve("model-00001-of-00002.safetensors")));
    }

    /** Golden test: greedy decoding of a fixed generated model gives fixed token ids (catches any numeric drift). */
    @Test
    void greedyDecodingOfAFixedModelGivesFixedTokenIds() {
        Path dir = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("golden"));
        try (Engines.EngineHandle h = Engines.acquire(EngineOptions.defaults(dir))) {
            int[] prompt = h.model().chatPrompt(null, List.of(ChatMessage.user("What is stream processing?")));
            GenerationResult r = h.engine().submit(new GenerationRequest("g", null, prompt, SamplingParams.greedy(16))).result().join();
            assertThat(r.outputTokens()).containsExactly(GOLDEN);
            assertThat(Engines.references(EngineOptions.defaults(dir))).isEqualTo(1);
        }
        assertThat(Engines.references(EngineOptions.defaults(dir))).isZero();
    }

    static final int[] GOLDEN = {533, 148, 380, 17, 533, 148, 814, 497, 898, 683, 531, 751, 331, 24, 322, 103};

    @Test
    void realShapesRefuseTheWrongArchitecture() {
        assertThatThrownBy(() -> ModelSize.QWEN2_0_5B.config(Architecture.LLAMA, "bfloat16")).hasMessageContaining("use --arch qwen2");
        assertThatThrownBy(() -> ModelSize.fromCliName("huge")).hasMessageContaining("--size 'huge' is not one of");
    }
}
