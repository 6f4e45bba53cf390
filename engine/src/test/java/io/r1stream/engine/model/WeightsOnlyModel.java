package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.gen.ModelSize;
import io.r1stream.engine.model.gen.WeightsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A generated model directory with config.json and weights (no tokenizer): for forward-pass tests. */
public final class WeightsOnlyModel {
    private WeightsOnlyModel() {}

    public static Path write(Path dir, Architecture arch, ModelSize size, TensorDtype dtype, int shards, long seed) throws IOException {
        Files.createDirectories(dir);
        ModelConfig c = size.config(arch, dtype == TensorDtype.F32 ? "float32" : dtype == TensorDtype.F16 ? "float16" : "bfloat16");
        Files.writeString(dir.resolve("config.json"), c.toJson(1, 2).toPrettyString());
        WeightsWriter.write(dir, c, dtype, seed, size.initStd(), shards);
        return dir;
    }

    public static Transformer load(Path dir, WeightFormat format) {
        ModelConfig c = ModelConfig.read(dir);
        MatmulThreads threads = new MatmulThreads(1);
        return new Transformer(ModelWeights.load(c, Checkpoint.open(dir), format, threads), threads, 16);
    }

    /** Logits after feeding all tokens in one prefill. */
    public static float[] prefillLogits(Transformer t, int[] tokens) {
        KvSequence kv = new KvSequence(t.kvLayout());
        kv.reserve(tokens.length, KvBlockSource.unbounded(t.kvLayout()));
        return t.forward(List.of(new SequenceStep(kv, tokens, true)))[0];
    }
}
