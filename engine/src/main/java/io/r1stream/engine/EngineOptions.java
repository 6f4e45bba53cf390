package io.r1stream.engine;

import io.r1stream.engine.kv.KvEncoding;
import io.r1stream.engine.sched.SchedulerLimits;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Everything that configures an engine; defaults suit a 2-core CPU and a small model.
 *
 * @param modelDir         the model directory, kept as a string so the options are serializable (they travel
 *                         inside Flink job graphs; {@link Path} is not serializable)
 * @param device           "cpu" (the Java forward pass), "gpu" (DJL PyTorch on CUDA, FP16) or "auto" (gpu when
 *                         one is visible)
 * @param weightFormat     a {@link io.r1stream.engine.model.WeightFormatSpec}: "auto" (bf16 for BF16 checkpoints, f32 otherwise; GPTQ/AWQ codes kept), "f32", "bf16", "int8", "q4" with options
 * @param threads          matmul threads (1 is the stable choice on 2 shared cores)
 * @param kvBudgetBytes    engine-tier KV memory (running + retained conversations)
 * @param hostKvBudgetBytes host-tier KV memory for evicted conversations (compact)
 * @param kvBlockTokens    positions per KV block
 * @param kvChunkTokens    positions per exported KV chunk (host tier, Flink state)
 */
public record EngineOptions(String modelDir, String device, String weightFormat, int threads, long kvBudgetBytes,
                            long hostKvBudgetBytes, KvEncoding hostKvEncoding, int kvBlockTokens, int kvChunkTokens,
                            int maxRunning, int maxTokensPerStep) implements Serializable {

    public static final long MIB = 1L << 20;

    public EngineOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (kvBlockTokens < 1 || kvChunkTokens < 1) throw new IllegalArgumentException("KV block/chunk tokens must be >= 1");
        if (!device.equals("cpu") && !device.equals("auto") && !device.equals("gpu")) {
            throw new IllegalArgumentException("device '" + device + "' is not one of cpu, gpu, auto");
        }
        new SchedulerLimits(maxRunning, maxTokensPerStep); // validates
    }

    public static EngineOptions defaults(Path modelDir) {
        return new EngineOptions(modelDir.toString(), "cpu", "auto", 1, 512 * MIB, 256 * MIB, KvEncoding.FP16, 16, 256, 32, 512);
    }

    public Path modelPath() { return Path.of(modelDir); }

    public SchedulerLimits limits() { return new SchedulerLimits(maxRunning, maxTokensPerStep); }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(modelDir, device, weightFormat, n, kvBudgetBytes, hostKvBudgetBytes, hostKvEncoding, kvBlockTokens, kvChunkTokens, maxRunning, maxTokensPerStep);
    }

    public EngineOptions withKvBudget(long engineBytes, long hostBytes) {
        return new EngineOptions(modelDir, device, weightFormat, threads, engineBytes, hostBytes, hostKvEncoding, kvBlockTokens, kvChunkTokens, maxRunning, maxTokensPerStep);
    }

    public EngineOptions withLimits(int running, int tokensPerStep) {
        return new EngineOptions(modelDir, device, weightFormat, threads, kvBudgetBytes, hostKvBudgetBytes, hostKvEncoding, kvBlockTokens, kvChunkTokens, running, tokensPerStep);
    }

    public EngineOptions withWeightFormat(String f) {
        return new EngineOptions(modelDir, device, f, threads, kvBudgetBytes, hostKvBudgetBytes, hostKvEncoding, kvBlockTokens, kvChunkTokens, maxRunning, maxTokensPerStep);
    }

    public EngineOptions withDevice(String d) {
        return new EngineOptions(modelDir, d, weightFormat, threads, kvBudgetBytes, hostKvBudgetBytes, hostKvEncoding, kvBlockTokens, kvChunkTokens, maxRunning, maxTokensPerStep);
    }

    public EngineOptions withHostKvEncoding(KvEncoding e) {
        return new EngineOptions(modelDir, device, weightFormat, threads, kvBudgetBytes, hostKvBudgetBytes, e, kvBlockTokens, kvChunkTokens, maxRunning, maxTokensPerStep);
    }
}
