package io.r1stream.engine.model.gen;

import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.RopeScaling;

import java.util.Arrays;

/**
 * Shapes the model generator can write. {@code tiny} and {@code small} are for tests and demos; the two
 * named sizes are the real configs of Qwen2-0.5B and DeepSeek-R1-Distill-Qwen-1.5B (for benchmarks).
 *
 * <p>{@code bpeVocab}: BPE tokens the generated tokenizer learns (special tokens come after them; the
 * total stays below {@code vocab_size}, as in real Qwen2 checkpoints whose embedding table is padded).
 * {@code initStd}: weight scale. Tests want peaked logits so greedy decoding does not flip on float
 * rounding (FACTS.md), so the test sizes use unit-variance activations instead of the usual 0.02.
 */
public enum ModelSize {
    TINY("tiny", 64, 160, 2, 4, 2, 1024, 1016, 2048, false, 0),
    SMALL("small", 256, 704, 4, 8, 2, 4096, 4088, 4096, false, 0),
    QWEN2_0_5B("qwen2-0.5b", 896, 4864, 24, 14, 2, 151936, 4096, 131072, true, 0.02),
    R1_DISTILL_QWEN_1_5B("r1-distill-qwen-1.5b", 1536, 8960, 28, 12, 2, 151936, 4096, 131072, false, 0.02);

    private final String cliName;
    final int hidden, intermediate, layers, heads, kvHeads, vocab, bpeVocab, maxPositions;
    final boolean tied;
    /** 0 = scale each matrix by 1/sqrt(in) (unit-variance activations, peaked logits). */
    final double initStd;

    ModelSize(String cliName, int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab,
              int bpeVocab, int maxPositions, boolean tied, double initStd) {
        this.cliName = cliName;
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.vocab = vocab;
        this.bpeVocab = bpeVocab;
        this.maxPositions = maxPositions;
        this.tied = tied;
        this.initStd = initStd;
    }

    public String cliName() { return cliName; }
    public int bpeVocab() { return bpeVocab; }
    public double initStd() { return initStd; }

    /** The config.json shape for this size and architecture, in the given stored dtype. */
    public ModelConfig config(Architecture arch, String torchDtype) {
        boolean realQwen = this == QWEN2_0_5B || this == R1_DISTILL_QWEN_1_5B;
        if (realQwen && arch != Architecture.QWEN2) {
            throw new IllegalArgumentException("--size " + cliName + " is a Qwen2 model's shape; use --arch qwen2"
                    + " (Llama shapes: --size tiny or small with --arch llama)");
        }
        // Llama sizes carry the llama3 rope scaling of DeepSeek-R1-Distill-Llama-8B, so it is exercised.
        RopeScaling scaling = arch == Architecture.LLAMA ? new RopeScaling(8.0, 1.0, 4.0, 8192) : null;
        double theta = arch == Architecture.LLAMA ? 500000.0 : (this == R1_DISTILL_QWEN_1_5B ? 10000.0 : 1000000.0);
        return new ModelConfig(arch, hidden, intermediate, layers, heads, kvHeads, hidden / heads, vocab,
                maxPositions, arch == Architecture.LLAMA ? 1e-5 : 1e-6, theta, scaling, tied, torchDtype);
    }

    public static ModelSize fromCliName(String name) {
        for (ModelSize s : values()) if (s.cliName.equalsIgnoreCase(name)) return s;
        throw new IllegalArgumentException("--size '" + name + "' is not one of "
                + Arrays.stream(values()).map(ModelSize::cliName).toList());
    }
}
