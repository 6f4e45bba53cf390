package io.r1stream.cli;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.kv.KvEncoding;
import io.r1stream.engine.model.djl.DjlDevice;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by every command that loads a model (a picocli mixin). */
public final class EngineArgs {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, tokenizer.json, *.safetensors)")
    Path model;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu|auto",
            description = "where the engine's forward step runs: cpu (Java), gpu (DJL PyTorch on CUDA, FP16 weights), auto (gpu if one is visible) (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", defaultValue = "1", description = "matmul threads (default: ${DEFAULT-VALUE}; 1 is stable on 2 shared cores)")
    int threads;

    @Option(names = "--weight-format", defaultValue = "auto", paramLabel = "auto|f32|bf16|int8|q4[:gN|:row][:zp][:keep=P,...]",
            description = "weight format in memory; auto = bf16 for BF16 checkpoints, else f32, GPTQ/AWQ codes kept; int8/q4 quantize at load "
                    + "(gN inputs per scale, row = one scale per row, zp = zero points, keep = tensor-name patterns held at the checkpoint's precision) (default: ${DEFAULT-VALUE})")
    String weights;

    @Option(names = "--kv-budget-mib", defaultValue = "512", description = "engine-tier KV memory in MiB (default: ${DEFAULT-VALUE})")
    long kvBudgetMb;

    @Option(names = "--host-kv-budget-mib", defaultValue = "256", description = "host-tier KV memory in MiB (default: ${DEFAULT-VALUE})")
    long hostKvBudgetMb;

    @Option(names = "--host-kv-encoding", defaultValue = "fp16", paramLabel = "fp16|int8",
            description = "encoding of KV moved to the host tier (default: ${DEFAULT-VALUE})")
    String hostKvEncoding;

    @Option(names = "--max-running", defaultValue = "32", description = "sequences batched per step at most (default: ${DEFAULT-VALUE})")
    int maxRunning;

    @Option(names = "--max-tokens-per-step", defaultValue = "512", description = "token budget per step; longer prompts are prefilled in chunks (default: ${DEFAULT-VALUE})")
    int maxTokensPerStep;

    public EngineOptions options() {
        return EngineOptions.defaults(model.toAbsolutePath().normalize())
                .withDevice(DjlDevice.parse(device).cliName())
                .withThreads(threads)
                .withWeightFormat(weights)
                .withKvBudget(kvBudgetMb * EngineOptions.MIB, hostKvBudgetMb * EngineOptions.MIB)
                .withHostKvEncoding(KvEncoding.parse(hostKvEncoding))
                .withLimits(maxRunning, maxTokensPerStep);
    }
}
