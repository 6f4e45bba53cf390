package io.r1stream.engine.model.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.ModelFormatException;
import io.r1stream.engine.model.QuantizedMatrix;
import io.r1stream.engine.model.SafetensorsFile;
import io.r1stream.engine.model.SafetensorsWriter;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.TensorInfo;
import io.r1stream.engine.model.WeightQuantizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a dense Hugging Face checkpoint as a GPTQ, AWQ or FP8 one, in the layouts {@link QuantizedTensorReader}
 * documents (the ones AutoGPTQ/GPTQModel, AutoAWQ and DeepSeek ship), with round-to-nearest codes from
 * {@link WeightQuantizer} (GPTQ's error-compensating solver is not run: the storage, not the quality, is what
 * loaders and tests need). Every other file of the directory is copied; config.json gains the
 * {@code quantization_config}, plus {@code "r1stream_layout": 1} (this layout's version).
 *
 * <p>Which matrices: the decoder layers' projections ({@code model.layers.N.*_proj.weight}), as the HF tools
 * do; with {@code embeddings} also {@code model.embed_tokens} and {@code lm_head} (r1stream's {@code model
 * quantize}: transformers would not read those back, r1stream does).
 */
public final class QuantizedCheckpointWriter {
    public static final int LAYOUT_VERSION = 1;
    private static final Pattern LAYER_LINEAR = Pattern.compile("model\\.layers\\.\\d+\\.(self_attn|mlp)\\.\\w+_proj\\.weight");
    private static final int[] AWQ_ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

    /**
     * @param method    gptq, awq or fp8
     * @param bits      gptq: 4 or 8 (awq 4; fp8 ignores it)
     * @param group     inputs per scale; -1 = one group per row (gptq)
     * @param sym       gptq: symmetric codes (zero point 2^(bits-1)); awq always has zero points
     * @param descAct   gptq: act order, a g_idx with a seeded random input permutation
     */
    public record Options(String method, int bits, int group, boolean sym, boolean descAct, boolean embeddings, long seed) {
        public Options {
            switch (method) {
                case "gptq" -> { if (bits != 4 && bits != 8) throw new IllegalArgumentException("gptq bits must be 4 or 8, got " + bits); }
                case "awq" -> { if (bits != 4) throw new IllegalArgumentException("awq bits must be 4, got " + bits); }
                case "fp8" -> { }
                default -> throw new IllegalArgumentException("quantization method '" + method + "' is not one of gptq, awq, fp8");
            }
            if (group == 0 || group < -1) throw new IllegalArgumentException("group size must be positive or -1, got " + group);
        }
    }

    private QuantizedCheckpointWriter() {}

    public static void write(Path in, Path out, Options o) {
        try {
            if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("--out must differ from --in (" + in + ")");
            }
            Checkpoint ckpt = Checkpoint.open(in);
            if (QuantizationConfig.read(in) != null) {
                throw new ModelFormatException(in + " is already quantized (config.json has quantization_config); start from a dense checkpoint");
            }
            Files.createDirectories(out);
            try (Stream<Path> files = Files.list(in)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String n = f.getFileName().toString();
                    if (Files.isRegularFile(f) && !n.endsWith(".safetensors") && !n.equals("model.safetensors.index.json") && !n.equals("config.json")) {
                        Files.copy(f, out.resolve(n), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(Files.readString(in.resolve("config.json")));
            config.set("quantization_config", quantizationConfig(json, o));
            Files.writeString(out.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");

            SafetensorsWriter w = new SafetensorsWriter(TensorDtype.F32);
            SplittableRandom perms = new SplittableRandom(o.seed);
            for (Map.Entry<String, TensorInfo> e : ckpt.tensors().entrySet()) {
                String name = e.getKey();
                TensorInfo t = e.getValue();
                boolean quantize = t.shape().length == 2 && (LAYER_LINEAR.matcher(name).matches()
                        || o.embeddings && (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")));
                if (!quantize) {
                    w.addRaw(name, t.dtype(), t.shape(), () -> bytes(t));
                    continue;
                }
                int rows = Math.toIntExact(t.shape()[0]), cols = Math.toIntExact(t.shape()[1]);
                String p = name.substring(0, name.length() - ".weight".length());
                switch (o.method) {
                    case "fp8" -> {
                        Fp8Block.Quantized q = Fp8Block.quantize(ckpt.readFloats(name, rows, cols), rows, cols, Fp8Block.DEFAULT_BLOCK, Fp8Block.DEFAULT_BLOCK);
                        w.addRaw(name, TensorDtype.F8_E4M3, t.shape(), q::weights);
                        w.add(p + ".weight_scale_inv", TensorDtype.F32, new long[]{q.scaleRows(), q.scaleCols()}, q::scaleInv);
                    }
                    case "gptq" -> gptq(w, p, ckpt.readFloats(name, rows, cols), rows, cols, o, perms.split());
                    case "awq" -> awq(w, p, ckpt.readFloats(name, rows, cols), rows, cols, o);
                    default -> throw new IllegalStateException(o.method);
                }
            }
            w.write(out.resolve("model.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode quantizationConfig(ObjectMapper json, Options o) {
        ObjectNode q = json.createObjectNode();
        q.put("quant_method", o.method);
        switch (o.method) {
            case "gptq" -> {
                q.put("bits", o.bits).put("group_size", o.group).put("desc_act", o.descAct).put("sym", o.sym)
                        .put("checkpoint_format", "gptq").put("damp_percent", 0.01).put("true_sequential", true);
            }
            case "awq" -> q.put("bits", 4).put("group_size", o.group).put("zero_point", true).put("version", "gemm");
            case "fp8" -> {
                q.put("fmt", "e4m3").put("activation_scheme", "dynamic");
                q.putArray("weight_block_size").add(Fp8Block.DEFAULT_BLOCK).add(Fp8Block.DEFAULT_BLOCK);
            }
            default -> throw new IllegalStateException(o.method);
        }
        q.put("r1stream_layout", LAYOUT_VERSION);
        return q;
    }

    private static void gptq(SafetensorsWriter w, String p, float[] dense, int out, int in, Options o, SplittableRandom r) {
        int bits = o.bits, pack = 32 / bits, mask = (1 << bits) - 1;
        int group = o.group < 0 || o.group > in ? in : o.group, groups = (in + group - 1) / group;
        if (in % pack != 0 || out % pack != 0) throw new IllegalArgumentException(p + ": " + out + "x" + in + " does not pack " + pack + " codes per int32");
        int[] order = new int[in]; // stored column c holds input order[c]
        for (int i = 0; i < in; i++) order[i] = i;
        if (o.descAct) {
            for (int i = in - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = order[i]; order[i] = order[j]; order[j] = t; }
        }
        float[] permuted = new float[dense.length];
        for (int row = 0; row < out; row++) for (int c = 0; c < in; c++) permuted[row * in + c] = dense[row * in + order[c]];
        QuantizedMatrix m = WeightQuantizer.quantize(permuted, out, in, bits, group, !o.sym);
        int[] qweight = new int[in / pack * out];
        int[] gIdx = new int[in];
        for (int c = 0; c < in; c++) {
            int i = order[c];
            gIdx[i] = c / group;
            for (int row = 0; row < out; row++) qweight[(i / pack) * out + row] |= (m.codes()[row * in + c] & mask) << (bits * (i % pack));
        }
        int[] qzeros = new int[groups * (out / pack)];
        float[] scales = new float[groups * out];
        for (int g = 0; g < groups; g++) {
            for (int row = 0; row < out; row++) {
                int stored = ((int) m.zero(row, g) - 1) & mask; // v1: zero - 1
                qzeros[g * (out / pack) + row / pack] |= stored << (bits * (row % pack));
                scales[g * out + row] = m.scales()[row * groups + g];
            }
        }
        w.addRaw(p + ".qweight", TensorDtype.I32, new long[]{in / pack, out}, () -> ints(qweight));
        w.addRaw(p + ".qzeros", TensorDtype.I32, new long[]{groups, out / pack}, () -> ints(qzeros));
        w.add(p + ".scales", TensorDtype.F16, new long[]{groups, out}, () -> scales);
        w.addRaw(p + ".g_idx", TensorDtype.I32, new long[]{in}, () -> ints(gIdx));
    }

    private static void awq(SafetensorsWriter w, String p, float[] dense, int out, int in, Options o) {
        int group = o.group < 0 || o.group > in ? in : o.group, groups = (in + group - 1) / group;
        if (out % 8 != 0) throw new IllegalArgumentException(p + ": out " + out + " is not a multiple of 8 (AWQ packing)");
        QuantizedMatrix m = WeightQuantizer.quantize(dense, out, in, 4, group, true);
        int[] qweight = new int[in * (out / 8)];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out / 8; j++) {
                int word = 0;
                for (int k = 0; k < 8; k++) word |= (m.codes()[(8 * j + AWQ_ORDER[k]) * in + i] & 15) << (4 * k);
                qweight[i * (out / 8) + j] = word;
            }
        }
        int[] qzeros = new int[groups * (out / 8)];
        float[] scales = new float[groups * out];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < out / 8; j++) {
                int word = 0;
                for (int k = 0; k < 8; k++) word |= ((int) m.zero(8 * j + AWQ_ORDER[k], g) & 15) << (4 * k);
                qzeros[g * (out / 8) + j] = word;
            }
            for (int row = 0; row < out; row++) scales[g * out + row] = m.scales()[row * groups + g];
        }
        w.addRaw(p + ".qweight", TensorDtype.I32, new long[]{in, out / 8}, () -> ints(qweight));
        w.addRaw(p + ".qzeros", TensorDtype.I32, new long[]{groups, out / 8}, () -> ints(qzeros));
        w.add(p + ".scales", TensorDtype.F16, new long[]{groups, out}, () -> scales);
    }

    private static byte[] ints(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(v);
        return b.array();
    }

    private static byte[] bytes(TensorInfo t) {
        ByteBuffer b = SafetensorsFile.map(t);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
