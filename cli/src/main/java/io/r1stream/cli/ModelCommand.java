package io.r1stream.cli;

import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.gen.DeepseekV3Generator;
import io.r1stream.engine.model.gen.DeepseekV3Size;
import io.r1stream.engine.model.gen.ModelGenerator;
import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.model.load.QuantizedCheckpointWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code r1stream model create}: writes a generated model directory. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Model directories.",
        subcommands = {ModelCommand.Create.class, ModelQuantizeCommand.class, ModelPlan.class})
public final class ModelCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Write a model directory with random weights in a real architecture's shapes, a byte-level BPE "
                    + "tokenizer.json with the DeepSeek-R1 special tokens, and the config files. Same seed -> identical files.")
    static final class Create implements Callable<Integer> {
        @Option(names = "--arch", defaultValue = "qwen2", paramLabel = "qwen2|llama|deepseek_v3", description = "architecture (default: ${DEFAULT-VALUE})")
        String arch;

        @Option(names = "--size", defaultValue = "tiny", paramLabel = "tiny|small|qwen2-0.5b|r1-distill-qwen-1.5b|deepseek-r1",
                description = "shape; the named sizes are the real configs of those models; deepseek_v3 takes tiny|small|deepseek-r1 (default: ${DEFAULT-VALUE})")
        String size;

        @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "bf16|f16|f32", description = "stored dtype (default: ${DEFAULT-VALUE})")
        String dtype;

        @Option(names = "--seed", defaultValue = "42", description = "weight seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--shards", defaultValue = "1", description = "safetensors shards; >1 writes model-0000N-of-0000M + index (default: ${DEFAULT-VALUE})")
        int shards;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory")
        Path out;

        @Option(names = "--quant", paramLabel = "gptq|awq|fp8",
                description = "write the layer projections as a pre-quantized Hugging Face checkpoint of this method (default: dense)")
        String quant;

        @Option(names = "--bits", defaultValue = "4", description = "--quant gptq: 4 or 8 (default: ${DEFAULT-VALUE})")
        int bits;

        @Option(names = "--group-size", defaultValue = "128", description = "--quant gptq|awq: inputs per scale, -1 = whole row (gptq) (default: ${DEFAULT-VALUE})")
        int groupSize;

        @Option(names = "--desc-act", description = "--quant gptq: act order (a g_idx with a seeded input permutation)")
        boolean descAct;

        @Option(names = "--asym", description = "--quant gptq: zero points per group instead of symmetric codes")
        boolean asym;

        @Option(names = "--fp8", description = "deepseek_v3 only: FP8 (F8_E4M3) projections with F32 block scales, as DeepSeek ships R1 (128x128 blocks; 32x32 for tiny)")
        boolean fp8;

        @Option(names = "--config-only", description = "deepseek_v3 only: write config.json alone (for `model plan`; required for --size deepseek-r1)")
        boolean configOnly;

        @Override
        public Integer call() {
            TensorDtype d = switch (dtype.toLowerCase()) {
                case "bf16" -> TensorDtype.BF16;
                case "f16" -> TensorDtype.F16;
                case "f32" -> TensorDtype.F32;
                default -> throw new IllegalArgumentException("--dtype '" + dtype + "' is not one of bf16, f16, f32");
            };
            long t0 = System.nanoTime();
            if (Architecture.fromCliName(arch) == Architecture.DEEPSEEK_V3) {
                DeepseekV3Size ds = DeepseekV3Size.fromCliName(size);
                boolean asFp8 = fp8 || ds == DeepseekV3Size.DEEPSEEK_R1; // R1's real config is the FP8 release's
                DeepseekV3Generator.create(new DeepseekV3Generator.Spec(ds, d, asFp8 ? DeepseekV3Generator.defaultFp8Block(ds) : 0,
                        true, true, seed, shards, configOnly), out);
                System.out.printf("wrote %s %s (%s, %s%s, seed %d) to %s in %.1f s%n", ds.cliName(), configOnly ? "config" : "model",
                        arch, asFp8 ? "fp8" : dtype, shards > 1 ? ", " + shards + " shards" : "", seed, out, (System.nanoTime() - t0) / 1e9);
                return 0;
            }
            if (fp8 || configOnly) throw new IllegalArgumentException("--fp8 and --config-only are for --arch deepseek_v3");
            ModelSize s = ModelSize.fromCliName(size);
            ModelGenerator.Spec spec = new ModelGenerator.Spec(Architecture.fromCliName(arch), s, d, seed, shards);
            if (quant == null) {
                ModelGenerator.create(spec, out);
            } else {
                QuantizedCheckpointWriter.Options o = new QuantizedCheckpointWriter.Options(quant.toLowerCase(), quant.equalsIgnoreCase("gptq") ? bits : 4,
                        groupSize, !asym, descAct, false, seed);
                Path dense = out.resolveSibling(out.getFileName() + ".dense-tmp");
                ModelGenerator.create(spec, dense);
                QuantizedCheckpointWriter.write(dense, out, o);
                ModelQuantizeCommand.deleteTree(dense);
            }
            System.out.printf("wrote %s model (%s, %s%s, seed %d) to %s in %.1f s%n", s.cliName(), arch, dtype,
                    quant == null ? "" : ", " + quant + (quant.equalsIgnoreCase("gptq") ? " " + bits + "-bit" : ""), seed, out,
                    (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }
}
