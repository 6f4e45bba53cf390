package io.r1stream.engine;

import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.arch.AssembledDecoder;
import io.r1stream.engine.model.arch.DeepseekV3Config;
import io.r1stream.engine.model.arch.DeepseekV3Loader;
import io.r1stream.engine.model.ForwardPass;
import io.r1stream.engine.model.djl.DjlBatchedForward;
import io.r1stream.engine.model.djl.DjlDevice;
import io.r1stream.engine.model.djl.DjlTransformer;
import io.r1stream.engine.model.GenerationDefaults;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.ModelFingerprint;
import io.r1stream.engine.model.ModelFormatException;
import io.r1stream.engine.model.ModelWeights;
import io.r1stream.engine.model.Transformer;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.WeightFormatSpec;
import io.r1stream.engine.model.load.QuantizationConfig;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.engine.tokenizer.DeepSeekR1ChatTemplate;
import io.r1stream.engine.tokenizer.StreamingDetokenizer;
import io.r1stream.engine.tokenizer.TextTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model directory loaded for the CPU engine: config, generation defaults, tokenizer + R1 chat template,
 * and the weights in the chosen format. Loading checks every file and tensor and names what is wrong.
 */
public final class LoadedModel implements AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final GenerationDefaults defaults;
    private final TextTokenizer tokenizer;
    private final DeepSeekR1ChatTemplate template = new DeepSeekR1ChatTemplate();
    private final Transformer transformer;   // null when the forward step runs on a GPU
    private final ForwardPass forwardPass;
    private final AutoCloseable deviceModel; // the DJL weights on the GPU, or null
    private final MatmulThreads threads;
    private final double loadSeconds;
    private long fingerprint;

    private LoadedModel(Path dir, ModelConfig config, GenerationDefaults defaults, TextTokenizer tokenizer,
                        Transformer transformer, ForwardPass forwardPass, AutoCloseable deviceModel,
                        MatmulThreads threads, double loadSeconds) {
        this.dir = dir;
        this.config = config;
        this.defaults = defaults;
        this.tokenizer = tokenizer;
        this.transformer = transformer;
        this.forwardPass = forwardPass;
        this.deviceModel = deviceModel;
        this.threads = threads;
        this.loadSeconds = loadSeconds;
    }

    public static LoadedModel load(EngineOptions o) {
        long t0 = System.nanoTime();
        Path dir = o.modelPath();
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException("model directory " + dir + " does not exist; create one with "
                    + "`bin/r1stream model create --out " + dir + "` or point --model at a Hugging Face checkpoint");
        }
        ModelConfig config = ModelConfig.read(dir);
        GenerationDefaults defaults = GenerationDefaults.read(dir);
        Checkpoint ckpt = Checkpoint.open(dir);
        WeightFormatSpec format = WeightFormatSpec.parse(o.weightFormat());
        QuantizationConfig quantization = QuantizationConfig.read(dir);
        TextTokenizer tokenizer = TextTokenizer.load(dir);
        if (tokenizer.vocabSize() > config.vocabSize()) {
            tokenizer.close();
            throw new ModelFormatException("tokenizer.json has " + tokenizer.vocabSize() + " tokens but config.json vocab_size is "
                    + config.vocabSize() + ": the tokenizer does not belong to these weights");
        }
        MatmulThreads threads = new MatmulThreads(o.threads());
        if (config.architecture() == io.r1stream.engine.model.Architecture.DEEPSEEK_V3) {
            return loadDeepseekV3(o, dir, config, defaults, ckpt, tokenizer, threads, t0);
        }
        ai.djl.Device device = o.device().equals("cpu") ? ai.djl.Device.cpu() : DjlDevice.parse(o.device()).resolve();
        LoadedModel loaded;
        if (device.isGpu()) { // FP16 weights on the GPU; KV stays in the engine's host blocks
            DjlTransformer djl = new DjlTransformer(config, ckpt, device);
            loaded = new LoadedModel(dir, config, defaults, tokenizer, null, new DjlBatchedForward(djl, o.kvBlockTokens()), djl,
                    threads, (System.nanoTime() - t0) / 1e9);
            loaded.fingerprint = ModelFingerprint.of(dir, ckpt, "gpu-fp16");
            return loaded;
        }
        Transformer t = new Transformer(ModelWeights.load(config, ckpt, format, quantization, threads), threads, o.kvBlockTokens());
        loaded = new LoadedModel(dir, config, defaults, tokenizer, t, t, null, threads, (System.nanoTime() - t0) / 1e9);
        // config.json (with any quantization_config) is hashed too; the engine format names how it is held
        loaded.fingerprint = ModelFingerprint.of(dir, ckpt, o.weightFormat());
        return loaded;
    }

    /**
     * Identity of these weights in this format ({@link ModelFingerprint}): KV chunks carry it, and chunks with
     * another fingerprint are recomputed, never reused.
     */
    public long fingerprint() { return fingerprint; }

    /**
     * DeepseekV3 (MLA + MoE) runs on the Java CPU path; the DJL GPU path has no MLA or MoE yet, so {@code gpu} is
     * refused and {@code auto} means the CPU.
     */
    private static LoadedModel loadDeepseekV3(EngineOptions o, Path dir, ModelConfig config, GenerationDefaults defaults,
                                              Checkpoint ckpt, TextTokenizer tokenizer, MatmulThreads threads, long t0) {
        if (o.device().equals("gpu")) {
            tokenizer.close();
            threads.close();
            throw new ModelFormatException("--device " + o.device() + ": DeepseekV3ForCausalLM (multi-head latent attention, "
                    + "mixture of experts) runs on the CPU engine only; the GPU path implements Qwen2 and Llama. Use --device cpu");
        }
        WeightFormat format = o.weightFormat().equalsIgnoreCase("auto")
                ? DeepseekV3Loader.defaultFormat(ckpt.dominantDtype()) : WeightFormat.parse(o.weightFormat());
        AssembledDecoder pass = DeepseekV3Loader.load(DeepseekV3Config.read(dir), ckpt, format, threads, o.kvBlockTokens());
        LoadedModel loaded = new LoadedModel(dir, config, defaults, tokenizer, null, pass, null, threads, (System.nanoTime() - t0) / 1e9);
        loaded.fingerprint = ModelFingerprint.of(dir, ckpt, format.name());
        return loaded;
    }

    public Path dir() { return dir; }
    public ModelConfig config() { return config; }
    public GenerationDefaults defaults() { return defaults; }
    public TextTokenizer tokenizer() { return tokenizer; }
    public DeepSeekR1ChatTemplate template() { return template; }
    /** The forward step the batching engine runs: the Java CPU pass, or DJL on a GPU. */
    public ForwardPass forwardPass() { return forwardPass; }

    /** The Java CPU forward pass (its weights and threads, for CPU benchmarks); fails when the model is on a GPU. */
    public Transformer transformer() {
        if (transformer == null) throw new IllegalStateException("the model runs on " + forwardPass.device() + "; this tool measures the CPU path (--device cpu)");
        return transformer;
    }
    public double loadSeconds() { return loadSeconds; }

    /** The conversation rendered with the R1 chat template and tokenized, ending in the generation prompt. */
    public int[] chatPrompt(String system, List<ChatMessage> turns) {
        return template.renderIds(tokenizer, system, turns, true);
    }

    /** Sampling with the model's released defaults (generation_config.json) unless overridden (null = default). */
    public SamplingParams sampling(Double temperature, Double topP, Integer topK, Long seed, int maxTokens, List<String> stop) {
        return new SamplingParams(temperature != null ? temperature : defaults.temperature(),
                topK != null ? topK : defaults.topK(), topP != null ? topP : defaults.topP(), seed, maxTokens, stop);
    }

    /** Per-request detokenizers for the engine (special tokens skipped; {@code <think>} kept for the split). */
    public Detokenizer newDetokenizer() {
        StreamingDetokenizer d = tokenizer.newStreamingDetokenizer(true);
        return d::accept;
    }

    @Override
    public void close() {
        tokenizer.close();
        if (deviceModel != null) {
            try { deviceModel.close(); } catch (Exception e) { throw new IllegalStateException(e); }
        }
        threads.close();
    }
}
