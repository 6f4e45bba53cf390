package io.r1stream.engine.model;

import java.util.Arrays;
import java.util.List;

/**
 * The decoder architectures r1stream runs: the two the DeepSeek-R1-Distill family is built on, and DeepSeek-R1's
 * own (DeepseekV3: multi-head latent attention, mixture of experts; see {@code model.arch}).
 */
public enum Architecture {
    /** Qwen2ForCausalLM: q/k/v projections carry a bias (DeepSeek-R1-Distill-Qwen-1.5B/7B/14B/32B). */
    QWEN2("Qwen2ForCausalLM", "qwen2", true),
    /** LlamaForCausalLM: no attention bias, optional llama3 rope scaling (DeepSeek-R1-Distill-Llama-8B/70B). */
    LLAMA("LlamaForCausalLM", "llama", false),
    /** DeepseekV3ForCausalLM: DeepSeek-V3, DeepSeek-R1 (MLA + MoE + YaRN, FP8 checkpoints); CPU forward pass only. */
    DEEPSEEK_V3("DeepseekV3ForCausalLM", "deepseek_v3", false);

    private final String hfClassName;
    private final String modelType;
    private final boolean qkvBias;

    Architecture(String hfClassName, String modelType, boolean qkvBias) {
        this.hfClassName = hfClassName;
        this.modelType = modelType;
        this.qkvBias = qkvBias;
    }

    public String hfClassName() { return hfClassName; }
    public String modelType() { return modelType; }
    public boolean qkvBias() { return qkvBias; }

    /** Resolves the {@code architectures[0]} entry of config.json; any other architecture is refused. */
    public static Architecture fromHfClassName(String name) {
        for (Architecture a : values()) {
            if (a.hfClassName.equals(name)) return a;
        }
        if ("DeepseekV2ForCausalLM".equals(name)) {
            throw new ModelFormatException("config.json: architecture 'DeepseekV2ForCausalLM' (DeepSeek-V2, V2-Lite) is not "
                    + "supported: its softmax expert routing is not implemented; r1stream runs DeepseekV3ForCausalLM "
                    + "(DeepSeek-V3, DeepSeek-R1) and " + List.of(QWEN2.hfClassName, LLAMA.hfClassName));
        }
        throw new ModelFormatException("config.json: architecture '" + name + "' is not supported; r1stream runs "
                + Arrays.stream(values()).map(Architecture::hfClassName).toList()
                + " (the DeepSeek-R1-Distill family and DeepSeek-R1 itself)");
    }

    /** Resolves the CLI spelling ({@code qwen2|llama}). */
    public static Architecture fromCliName(String name) {
        for (Architecture a : values()) {
            if (a.modelType.equalsIgnoreCase(name)) return a;
        }
        throw new IllegalArgumentException("--arch '" + name + "' is not one of "
                + List.of(QWEN2.modelType, LLAMA.modelType, DEEPSEEK_V3.modelType));
    }
}
