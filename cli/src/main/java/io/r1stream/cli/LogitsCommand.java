package io.r1stream.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.ModelWeights;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.Transformer;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.WeightFormatSpec;
import io.r1stream.engine.model.djl.DjlDevice;
import io.r1stream.engine.model.djl.DjlSession;
import io.r1stream.engine.model.djl.DjlTransformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code r1stream logits}: the float32 logits of the last position for given token ids, for checking the
 * runtime against other implementations (tools/reference/hf_logits.py prints the same JSON).
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print {\"token_ids\":[...],\"logits\":[...]} (float32 logits of the last position).")
public final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR") Path model;
    @Option(names = "--token-ids", required = true, split = ",", description = "comma-separated token ids") int[] tokenIds;
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu|auto|djl-cpu",
            description = "cpu: the Java engine (float32 arithmetic); djl-cpu/gpu/auto: DJL's PyTorch engine (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public Integer call() {
        ModelConfig c = ModelConfig.read(model);
        for (int id : tokenIds) {
            if (id < 0 || id >= c.vocabSize()) {
                throw new IllegalArgumentException("--token-ids: " + id + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
        float[] logits;
        if (c.architecture() == io.r1stream.engine.model.Architecture.DEEPSEEK_V3) {
            // MLA + MoE run on the Java CPU path only (the DJL forward implements Qwen2/Llama)
            if (!device.equals("cpu")) {
                throw new IllegalArgumentException("--device " + device + ": DeepseekV3ForCausalLM runs on --device cpu only");
            }
            Checkpoint ckpt = Checkpoint.open(model);
            try (MatmulThreads threads = new MatmulThreads(1)) {
                var d = io.r1stream.engine.model.arch.DeepseekV3Loader.load(io.r1stream.engine.model.arch.DeepseekV3Config.read(model), ckpt,
                        io.r1stream.engine.model.arch.DeepseekV3Loader.defaultFormat(ckpt.dominantDtype()), threads, 16);
                KvSequence kv = new KvSequence(d.kvLayout());
                kv.reserve(tokenIds.length, KvBlockSource.unbounded(d.kvLayout()));
                logits = d.forward(List.of(new SequenceStep(kv, tokenIds, true)))[0];
            }
        } else if (device.equals("cpu")) {
            Checkpoint ckpt = Checkpoint.open(model);
            try (MatmulThreads threads = new MatmulThreads(1)) {
                // Lossless format for every dtype: bf16 stays bf16 (exact), f16 widens to f32 (exact).
                // GPTQ/AWQ keep their codes (exact dequantization in the kernel); FP8 is dequantized to float32.
                Transformer t = new Transformer(ModelWeights.load(c, ckpt, io.r1stream.engine.model.load.QuantizationConfig.read(model) != null
                        && io.r1stream.engine.model.load.QuantizationConfig.read(model).method().equals("fp8")
                        ? WeightFormatSpec.of(WeightFormat.F32) : WeightFormatSpec.auto(), io.r1stream.engine.model.load.QuantizationConfig.read(model), threads), threads, 16);
                KvSequence kv = new KvSequence(t.kvLayout());
                kv.reserve(tokenIds.length, KvBlockSource.unbounded(t.kvLayout()));
                logits = t.forward(List.of(new SequenceStep(kv, tokenIds, true)))[0];
            }
        } else {
            Device d = device.equals("djl-cpu") ? Device.cpu() : DjlDevice.parse(device).resolve();
            try (DjlTransformer t = DjlTransformer.load(model, d); DjlSession s = t.newSession()) {
                logits = s.forward(tokenIds);
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        ArrayNode ids = out.putArray("token_ids");
        Arrays.stream(tokenIds).forEach(ids::add);
        ArrayNode l = out.putArray("logits");
        for (float f : logits) l.add(f);
        System.out.println(out);
        return 0;
    }
}
