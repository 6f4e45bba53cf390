package io.r1stream.sql.predict;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.kv.KvEncoding;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The {@code WITH (...)} options of {@code CREATE MODEL ... WITH ('provider' = 'r1stream', ...)}. Engine options
 * decide which engine a TaskManager shares (models with equal engine options, and the chat job with the same
 * settings, share one); generation options are per model and can be overridden per row by input columns.
 * Every option is listed with its default and unit in the README ("Flink SQL").
 */
public final class ModelOptions {
    private ModelOptions() {}

    // ------------------------------------------------------------------ engine (one per TaskManager)

    public static final ConfigOption<String> MODEL_DIR = ConfigOptions.key("model-dir").stringType().noDefaultValue()
            .withDescription("Model directory in Hugging Face layout (config.json, tokenizer.json, safetensors), on every TaskManager.");
    public static final ConfigOption<String> DEVICE = ConfigOptions.key("device").stringType().defaultValue("cpu")
            .withDescription("cpu, gpu or auto.");
    public static final ConfigOption<String> WEIGHT_FORMAT = ConfigOptions.key("weight-format").stringType().defaultValue("auto")
            .withDescription("auto (bf16 for BF16 checkpoints, else f32), f32 or bf16.");
    public static final ConfigOption<Integer> THREADS = ConfigOptions.key("threads").intType().defaultValue(1)
            .withDescription("Matmul threads of the engine.");
    public static final ConfigOption<Integer> KV_BUDGET_MIB = ConfigOptions.key("kv-budget-mib").intType().defaultValue(512)
            .withDescription("Engine-tier KV cache, MiB.");
    public static final ConfigOption<Integer> HOST_KV_BUDGET_MIB = ConfigOptions.key("host-kv-budget-mib").intType().defaultValue(256)
            .withDescription("Host-tier KV cache, MiB.");
    public static final ConfigOption<Integer> MAX_RUNNING = ConfigOptions.key("max-running").intType().defaultValue(32)
            .withDescription("Sequences in one engine step (the batch).");
    public static final ConfigOption<Integer> MAX_TOKENS_PER_STEP = ConfigOptions.key("max-tokens-per-step").intType().defaultValue(512)
            .withDescription("Token budget of one engine step; longer prompts are prefilled in chunks.");

    // ------------------------------------------------------------------ generation (per model; input columns override)

    public static final ConfigOption<Integer> MAX_TOKENS = ConfigOptions.key("max-tokens").intType().defaultValue(256)
            .withDescription("Most tokens generated per row, reasoning included.");
    public static final ConfigOption<Double> TEMPERATURE = ConfigOptions.key("temperature").doubleType().noDefaultValue()
            .withDescription("Sampling temperature, 0 = greedy; default: the model's generation_config.json (R1: 0.6).");
    public static final ConfigOption<Double> TOP_P = ConfigOptions.key("top-p").doubleType().noDefaultValue()
            .withDescription("Nucleus mass in (0, 1]; default: generation_config.json (R1: 0.95).");
    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("top-k").intType().noDefaultValue()
            .withDescription("Keep the k most likely tokens, 0 = off; default: generation_config.json.");
    public static final ConfigOption<Long> SEED = ConfigOptions.key("seed").longType().noDefaultValue()
            .withDescription("Seed of every row; default: derived from the prompt text, so a replayed row gives the same text.");
    public static final ConfigOption<List<String>> STOP = ConfigOptions.key("stop").stringType().asList().noDefaultValue()
            .withDescription("Stop strings, separated by ';'.");
    public static final ConfigOption<String> SYSTEM_PROMPT = ConfigOptions.key("system-prompt").stringType().noDefaultValue()
            .withDescription("System prompt of every row (DeepSeek recommends none for R1).");
    public static final ConfigOption<String> ERROR_POLICY = ConfigOptions.key("error-policy").stringType().defaultValue("fail")
            .withDescription("fail: a bad row fails the job; error-column: the row gets finish_reason 'error' and the reason in the 'error' output column.");

    public static Set<ConfigOption<?>> required() { return Set.of(MODEL_DIR); }

    public static Set<ConfigOption<?>> optional() {
        return Set.of(DEVICE, WEIGHT_FORMAT, THREADS, KV_BUDGET_MIB, HOST_KV_BUDGET_MIB, MAX_RUNNING, MAX_TOKENS_PER_STEP,
                MAX_TOKENS, TEMPERATURE, TOP_P, TOP_K, SEED, STOP, SYSTEM_PROMPT, ERROR_POLICY);
    }

    /** The engine these options select; equal options give the same shared engine ({@code Engines.acquire}). */
    public static EngineOptions engineOptions(ReadableConfig c) {
        String dir = c.getOptional(MODEL_DIR).orElseThrow(() -> new IllegalArgumentException(
                "option 'model-dir' is missing: set it to the model directory, e.g. 'model-dir' = '/models/current'"));
        positive(c, THREADS);
        positive(c, KV_BUDGET_MIB);
        positive(c, MAX_RUNNING);
        positive(c, MAX_TOKENS_PER_STEP);
        if (c.get(HOST_KV_BUDGET_MIB) < 0) throw bad(HOST_KV_BUDGET_MIB, c.get(HOST_KV_BUDGET_MIB), "0 or more");
        try {
            return EngineOptions.defaults(Path.of(dir))
                    .withDevice(c.get(DEVICE))
                    .withWeightFormat(c.get(WEIGHT_FORMAT))
                    .withThreads(c.get(THREADS))
                    .withKvBudget(c.get(KV_BUDGET_MIB) * EngineOptions.MIB, c.get(HOST_KV_BUDGET_MIB) * EngineOptions.MIB)
                    .withLimits(c.get(MAX_RUNNING), c.get(MAX_TOKENS_PER_STEP))
                    .withHostKvEncoding(KvEncoding.FP16);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("r1stream model options: " + e.getMessage(), e);
        }
    }

    /** Generation settings of the model (before per-row overrides). */
    public static Generation generation(ReadableConfig c) {
        positive(c, MAX_TOKENS);
        return new Generation(c.get(MAX_TOKENS), c.getOptional(TEMPERATURE).orElse(null), c.getOptional(TOP_P).orElse(null),
                c.getOptional(TOP_K).orElse(null), c.getOptional(SEED).orElse(null), c.getOptional(STOP).orElse(List.of()),
                c.getOptional(SYSTEM_PROMPT).orElse(null), ErrorPolicy.parse(c.get(ERROR_POLICY)));
    }

    /**
     * @param temperature null = the model's generation_config.json
     * @param seed        null = derived from each row's prompt
     */
    public record Generation(int maxTokens, Double temperature, Double topP, Integer topK, Long seed, List<String> stop,
                             String systemPrompt, ErrorPolicy errorPolicy) implements java.io.Serializable {
        public Generation {
            stop = List.copyOf(stop);
        }
    }

    private static void positive(ReadableConfig c, ConfigOption<Integer> o) {
        if (c.get(o) < 1) throw bad(o, c.get(o), "1 or more");
    }

    private static IllegalArgumentException bad(ConfigOption<?> o, Object value, String expected) {
        return new IllegalArgumentException("option '" + o.key() + "' = " + value + " is invalid: it must be " + expected);
    }
}
