package io.r1stream.engine.model.gen;

import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.GenerationDefaults;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.tokenizer.TokenizerGenerator;
import io.r1stream.engine.tokenizer.TokenizerSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a complete Hugging Face model directory with random weights in a real architecture's shapes:
 * config.json, generation_config.json, tokenizer.json + tokenizer_config.json (byte-level BPE with the
 * DeepSeek-R1 special tokens), and safetensors (one file or shards). Same arguments -> identical files.
 */
public final class ModelGenerator {
    private ModelGenerator() {}

    /** What to write; {@code shards} 1 = model.safetensors, more = model-0000N-of-0000M + index. */
    public record Spec(Architecture arch, ModelSize size, TensorDtype dtype, long seed, int shards) {
        public static Spec tiny(Architecture arch) { return new Spec(arch, ModelSize.TINY, TensorDtype.BF16, 42, 1); }
    }

    public static Path create(Spec spec, Path dir) {
        if (spec.arch() == Architecture.DEEPSEEK_V3) { // its own shapes and tensor layout (model.gen.DeepseekV3Generator)
            return DeepseekV3Generator.create(new DeepseekV3Generator.Spec(
                    spec.size() == ModelSize.SMALL ? DeepseekV3Size.SMALL : DeepseekV3Size.TINY, spec.dtype(), 0, true, true,
                    spec.seed(), spec.shards(), false), dir);
        }
        try {
            Files.createDirectories(dir);
            String torchDtype = switch (spec.dtype()) { case F32 -> "float32"; case F16 -> "float16"; case BF16 -> "bfloat16";
                case F8_E4M3 -> throw new IllegalArgumentException("FP8 weights are generated for --arch deepseek_v3 (--fp8)"); 
                default -> throw new IllegalArgumentException("generated weights are stored as f32, f16 or bf16, not " + spec.dtype()); };

            ModelConfig c = spec.size().config(spec.arch(), torchDtype);
            TokenizerSpec tok = TokenizerGenerator.write(dir, spec.size().bpeVocab());
            if (tok.totalTokens() > c.vocabSize()) {
                throw new IllegalStateException("tokenizer has " + tok.totalTokens() + " tokens but vocab_size is " + c.vocabSize());
            }
            Files.writeString(dir.resolve("config.json"), c.toJson(tok.bosId(), tok.eosId()).toPrettyString() + "\n");
            Files.writeString(dir.resolve("generation_config.json"),
                    GenerationDefaults.r1Json(tok.bosId(), tok.eosId()).toPrettyString() + "\n");
            WeightsWriter.write(dir, c, spec.dtype(), spec.seed(), spec.size().initStd(), spec.shards());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model to " + dir + ": " + e.getMessage(), e);
        }
    }
}
