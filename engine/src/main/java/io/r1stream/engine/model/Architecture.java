package io.r1stream.engine.model;

import java.util.Arrays;
import java.util.List;

/** The decoder architectures r1stream runs: the two the DeepSeek-R1-Distill family is built on. */
public enum Architecture {
    /** Qwen2ForCausalLM: q/k/v projections carry a bias (DeepSeek-R1-Distill-Qwen-1.5B/7B/14B/32B). */
    QWEN2("Qwen2ForCausalLM", "qwen2", true),
    /** LlamaForCausalLM: no attention bias, optional llama3 rope scaling (DeepSeek-R1-Distill-Llama-8B/70B). */
    LLAMA("LlamaForCausalLM", "llama", false);

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
        throw new ModelFormatException("config.json: architecture '" + name + "' is not supported; r1stream runs "
                + Arrays.stream(values()).map(Architecture::hfClassName).toList()
                + " (the DeepSeek-R1-Distill family)");
    }

    /** Resolves the CLI spelling ({@code qwen2|llama}). */
    public static Architecture fromCliName(String name) {
        for (Architecture a : values()) {
            if (a.modelType.equalsIgnoreCase(name)) return a;
        }
        throw new IllegalArgumentException("--arch '" + name + "' is not one of "
                + List.of(QWEN2.modelType, LLAMA.modelType));
    }
}
