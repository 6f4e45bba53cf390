package io.r1stream.engine.model.arch;

import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.SequenceStep;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.attention.MlaAttention;
import io.r1stream.engine.model.gen.DeepseekV3Generator;
import io.r1stream.engine.model.gen.DeepseekV3Size;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Generated tiny DeepseekV3 checkpoints (config + weights, no tokenizer) and helpers to run them, for tests. */
public final class DeepseekV3Models {
    private DeepseekV3Models() {}

    public static Path write(Path dir, TensorDtype dtype, boolean fp8, boolean qLora, boolean yarn, int shards, long seed) throws IOException {
        int block = fp8 ? DeepseekV3Generator.defaultFp8Block(DeepseekV3Size.TINY) : 0;
        DeepseekV3Generator.writeWeightsOnly(new DeepseekV3Generator.Spec(DeepseekV3Size.TINY, dtype, block, qLora, yarn, seed,
                shards, false), dir);
        return dir;
    }

    public static AssembledDecoder load(Path dir, WeightFormat format) {
        MatmulThreads threads = new MatmulThreads(1);
        return DeepseekV3Loader.load(DeepseekV3Config.read(dir), Checkpoint.open(dir), format, threads, 16);
    }

    public static void mode(AssembledDecoder d, MlaAttention.Mode m) {
        for (DecoderLayer l : d.layers()) ((MlaAttention) l.attention()).mode(m);
    }

    public static KvSequence sequence(AssembledDecoder d, int tokens) {
        KvSequence kv = new KvSequence(d.kvLayout());
        kv.reserve(tokens, KvBlockSource.unbounded(d.kvLayout()));
        return kv;
    }

    public static float[] step(AssembledDecoder d, KvSequence kv, int... tokens) {
        return d.forward(List.of(new SequenceStep(kv, tokens, true)))[0];
    }
}
