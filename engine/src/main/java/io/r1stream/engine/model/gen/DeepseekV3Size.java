package io.r1stream.engine.model.gen;

import io.r1stream.engine.model.arch.DeepseekV3Config;
import io.r1stream.engine.model.arch.YarnScaling;

import java.util.Arrays;

/**
 * DeepseekV3 shapes the generator writes: {@code tiny} for tests (3 layers: one dense, two of 8 experts in 4
 * groups), {@code small} for benchmarks (4 layers, 32 experts, ~180M parameters of which ~48M active), and
 * {@code deepseek-r1}, DeepSeek-R1's real config (671B parameters, config only: for planning).
 * All carry q-LoRA, YaRN (max_position_embeddings = factor x original, so every transformers version reads the
 * same factor) and one multi-token-prediction layer, as R1 does.
 */
public enum DeepseekV3Size {
    TINY("tiny", 1016),
    SMALL("small", 4088),
    DEEPSEEK_R1("deepseek-r1", 0);

    private final String cliName;
    private final int bpeVocab;

    DeepseekV3Size(String cliName, int bpeVocab) {
        this.cliName = cliName;
        this.bpeVocab = bpeVocab;
    }

    public String cliName() { return cliName; }
    public int bpeVocab() { return bpeVocab; }

    /**
     * The config for this size. {@code qLora} false drops the query bottleneck (q_proj, as V2-Lite),
     * {@code yarn} false drops rope scaling, {@code fp8Block} > 0 marks the checkpoint FP8 with that block edge.
     */
    public DeepseekV3Config config(boolean qLora, boolean yarn, int fp8Block, String torchDtype) {
        return switch (this) {
            case TINY -> new DeepseekV3Config(64, 128, 32, 3, 4, 1024, yarn ? 512 : 128, 1e-6, 10000.0,
                    qLora ? 48 : 0, 32, 16, 8, 16, 8, 2, 1, 1, 1, 4, 2, true, 2.5,
                    yarn ? new YarnScaling(4.0, 128, 32, 1, 1.0, 1.0) : null, true, 1, false, torchDtype, fp8Block, fp8Block);
            case SMALL -> new DeepseekV3Config(1024, 2816, 512, 4, 16, 4096, yarn ? 16384 : 4096, 1e-6, 10000.0,
                    qLora ? 384 : 0, 256, 64, 32, 64, 32, 4, 1, 1, 1, 4, 2, true, 2.5,
                    yarn ? new YarnScaling(4.0, 4096, 32, 1, 1.0, 1.0) : null, true, 1, false, torchDtype, fp8Block, fp8Block);
            case DEEPSEEK_R1 -> new DeepseekV3Config(7168, 18432, 2048, 61, 128, 129280, 163840, 1e-6, 10000.0,
                    qLora ? 1536 : 0, 512, 128, 64, 128, 256, 8, 1, 3, 1, 8, 4, true, 2.5,
                    yarn ? new YarnScaling(40.0, 4096, 32, 1, 1.0, 1.0) : null, true, 1, false, torchDtype, fp8Block, fp8Block);
        };
    }

    public static DeepseekV3Size fromCliName(String name) {
        for (DeepseekV3Size s : values()) if (s.cliName.equalsIgnoreCase(name)) return s;
        throw new IllegalArgumentException("--size '" + name + "' is not one of "
                + Arrays.stream(values()).map(DeepseekV3Size::cliName).toList() + " for --arch deepseek_v3");
    }
}
