package io.r1stream.cli;

import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.arch.DeepseekV3Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code r1stream model plan}: memory and bandwidth arithmetic for a model at full scale, from config.json alone
 * (no weights needed: {@code model create --size deepseek-r1 --config-only} writes R1's). Prints each figure with
 * the arithmetic behind it, not a claim.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "From config.json alone: parameters (total, active per token), weight bytes per format, KV bytes per token, "
                + "conversations that fit on N GPUs, a tensor/expert-parallel split and the decode bandwidth limit.")
final class ModelPlan implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory with config.json")
    Path model;
    @Option(names = "--gpus", defaultValue = "8", description = "GPUs (default: ${DEFAULT-VALUE})")
    int gpus;
    @Option(names = "--gpu-memory", defaultValue = "80GiB", description = "memory per GPU, e.g. 80GiB, 141GB (default: ${DEFAULT-VALUE})")
    String gpuMemory;
    @Option(names = "--gpu-bandwidth-gbs", defaultValue = "3350", description = "memory bandwidth per GPU in GB/s (default: ${DEFAULT-VALUE}, H100 SXM)")
    double gpuBandwidthGbs;
    @Option(names = "--context-tokens", defaultValue = "32768", description = "tokens per conversation for the fit figure (default: ${DEFAULT-VALUE})")
    int contextTokens;
    @Option(names = "--weight-format", defaultValue = "fp8", paramLabel = "fp8|bf16", description = "weights as held on the GPUs (default: ${DEFAULT-VALUE})")
    String weightFormat;
    @Option(names = "--reserve", defaultValue = "0.10", description = "fraction of GPU memory kept for activations and runtime (default: ${DEFAULT-VALUE})")
    double reserve;

    @Override
    public Integer call() {
        if (gpus < 1) throw new IllegalArgumentException("--gpus must be >= 1, got " + gpus);
        if (!weightFormat.equals("fp8") && !weightFormat.equals("bf16")) {
            throw new IllegalArgumentException("--weight-format '" + weightFormat + "' is not one of fp8, bf16");
        }
        long gpuBytes = parseBytes(gpuMemory);
        ModelConfig base = ModelConfig.read(model);
        System.out.printf("model: %s (%s), %d layers, hidden %d, vocab %,d%n", base.architecture().hfClassName(), model,
                base.numLayers(), base.hiddenSize(), base.vocabSize());
        long total, active, matrixParams, kvBf16PerToken, expandedKvPerToken;
        int experts = 0;
        long expertParams = 0;
        if (base.architecture() == Architecture.DEEPSEEK_V3) {
            DeepseekV3Config c = DeepseekV3Config.read(model);
            total = c.parameterCount();
            active = c.activeParametersPerToken();
            long embed = (long) c.vocabSize() * c.hiddenSize();
            matrixParams = total - embed * (c.tieWordEmbeddings() ? 1 : 2); // projections + experts (FP8 in R1's release)
            experts = c.nRoutedExperts();
            for (int l = 0; l < c.numLayers(); l++) {
                if (c.isMoeLayer(l)) expertParams += (long) c.nRoutedExperts() * 3L * c.hiddenSize() * c.moeIntermediateSize();
            }
            kvBf16PerToken = 2L * c.numLayers() * c.kvCacheDim();
            expandedKvPerToken = 2L * c.numLayers() * c.numHeads() * (c.qHeadDim() + c.vHeadDim());
            System.out.printf("attention: MLA, %d heads, q_lora_rank %d, kv_lora_rank %d, rope %d, nope %d, v %d%n", c.numHeads(),
                    c.qLoraRank(), c.kvLoraRank(), c.qkRopeHeadDim(), c.qkNopeHeadDim(), c.vHeadDim());
            System.out.printf("experts: %d routed (%d per token, %d groups, top %d groups) + %d shared, moe_intermediate %d; "
                            + "dense below layer %d; %d multi-token-prediction layer(s) not counted%n", c.nRoutedExperts(), c.numExpertsPerTok(),
                    c.nGroup(), c.topkGroup(), c.nSharedExperts(), c.moeIntermediateSize(), c.firstKDenseReplace(), c.numNextnPredictLayers());
            System.out.printf("KV per token: %d layers x (kv_lora_rank %d + rope %d) = %,d values -> %,d bytes at bf16 "
                            + "(per-head K and V would be %d x %d x (%d + %d) x 2 = %,d bytes, %.0fx more)%n", c.numLayers(), c.kvLoraRank(),
                    c.qkRopeHeadDim(), c.numLayers() * (long) c.kvCacheDim(), kvBf16PerToken, c.numLayers(), c.numHeads(), c.qHeadDim(),
                    c.vHeadDim(), expandedKvPerToken, (double) expandedKvPerToken / kvBf16PerToken);
        } else {
            total = base.parameterCount();
            active = base.parametersReadPerToken();
            long embed = (long) base.vocabSize() * base.hiddenSize();
            matrixParams = total - embed * (base.tieWordEmbeddings() ? 1 : 2);
            kvBf16PerToken = 2L * 2 * base.numLayers() * base.kvDim();
            expandedKvPerToken = kvBf16PerToken;
            System.out.printf("KV per token: %d layers x 2 (K, V) x %d = %,d bytes at bf16%n", base.numLayers(), base.kvDim(), kvBf16PerToken);
        }
        System.out.printf("parameters: %s total, %s active per token (%.1f%%)%n", human(total), human(active), 100.0 * active / total);
        // FP8 as DeepSeek releases it: the projections 1 byte + one F32 scale per 128x128 block; the rest bf16
        long fp8Bytes = matrixParams + matrixParams / (128 * 128) * 4 + 2 * (total - matrixParams);
        long bf16Bytes = 2 * total;
        System.out.printf("weights: fp8 %s (%s non-embedding params x 1 B + one F32 scale per 128x128 block + %s embedding/lm_head params x 2 B), bf16 %s, f32 %s%n",
                bytes(fp8Bytes), human(matrixParams), human(total - matrixParams), bytes(bf16Bytes), bytes(4 * total));
        long weights = weightFormat.equals("fp8") ? fp8Bytes : bf16Bytes;
        long usable = (long) (gpus * (double) gpuBytes * (1 - reserve));
        System.out.printf("GPUs: %d x %s = %s, %.0f%% kept for activations -> %s usable; weights (%s) %s%n", gpus, bytes(gpuBytes),
                bytes(gpus * gpuBytes), 100 * reserve, bytes(usable), weightFormat, bytes(weights));
        if (weights >= usable) {
            System.out.printf("does not fit: weights exceed usable memory by %s; need at least %d such GPUs%n", bytes(weights - usable),
                    (long) Math.ceil(weights / (gpuBytes * (1 - reserve))));
        } else {
            long kvRoom = usable - weights;
            long perConv = kvBf16PerToken * contextTokens;
            // Tensor-parallel attention replicates MLA's latent cache on every rank (it is shared by all heads);
            // data-parallel attention (each GPU its own conversations) does not.
            if (expandedKvPerToken == kvBf16PerToken) { // per-head K/V: tensor parallelism splits the cache by heads
                System.out.printf("KV room: %s -> %,d conversations of %,d tokens (%s each at bf16)%n", bytes(kvRoom),
                        kvRoom / perConv, contextTokens, bytes(perConv));
            } else {
                System.out.printf("KV room: %s -> %,d conversations of %,d tokens (%s each at bf16) with data-parallel attention; "
                        + "%,d if every GPU holds every conversation's latent cache (tensor-parallel MLA replicates it)%n", bytes(kvRoom),
                        kvRoom / perConv, contextTokens, bytes(perConv), (kvRoom / gpus) / perConv);
            }
            if (expandedKvPerToken != kvBf16PerToken) {
                System.out.printf("  (with per-head K and V cached instead: %,d conversations)%n", kvRoom / (expandedKvPerToken * contextTokens));
            }
        }
        if (experts > 0) {
            System.out.printf("split: expert parallel over %d GPUs -> %d routed experts per GPU per MoE layer (%s of expert weights each at %s); "
                            + "attention, dense layers and shared experts tensor parallel over %d (%s per GPU)%n", gpus,
                    Math.max(1, experts / gpus), bytes(bytesFor(expertParams, weightFormat) / gpus), weightFormat, gpus,
                    bytes(bytesFor(total - expertParams, weightFormat) / gpus));
        } else {
            System.out.printf("split: tensor parallel over %d GPUs -> %s of weights per GPU%n", gpus, bytes(weights / gpus));
        }
        double activeBytes = bytesFor(active, weightFormat);
        double bw = gpus * gpuBandwidthGbs * 1e9;
        System.out.printf("decode bandwidth limit at batch 1: %s read per token (active parameters, %s) / (%d x %.0f GB/s) = %.1f tokens/s "
                        + "(an upper bound: it assumes a token's active weights are spread evenly over the GPUs)%n",
                bytes((long) activeBytes), weightFormat, gpus, gpuBandwidthGbs, bw / activeBytes);
        return 0;
    }

    private static long bytesFor(long params, String format) {
        return format.equals("fp8") ? params : 2 * params;
    }

    static long parseBytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        String[][] units = {{"gib", "" + (1L << 30)}, {"gb", "1000000000"}, {"mib", "" + (1L << 20)}, {"tib", "" + (1L << 40)}};
        for (String[] u : units) {
            if (t.endsWith(u[0])) {
                mult = Long.parseLong(u[1]);
                t = t.substring(0, t.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            return (long) (Double.parseDouble(t) * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--gpu-memory '" + s + "' is not a size like 80GiB or 141GB");
        }
    }

    private static String human(long n) {
        if (n >= 1e9) return String.format("%.1fB", n / 1e9);
        if (n >= 1e6) return String.format("%.1fM", n / 1e6);
        return String.format("%,d", n);
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) return String.format("%.1f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format("%.1f MiB", b / (double) (1L << 20));
        return String.format("%,d B", b);
    }
}
