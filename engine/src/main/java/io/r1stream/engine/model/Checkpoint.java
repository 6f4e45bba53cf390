package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors of a Hugging Face model directory: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Reads each tensor as float32 (exact for F32/F16/BF16) or as bfloat16
 * bits, checking its shape against what the architecture needs.
 */
public final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, TensorInfo> tensors;

    private Checkpoint(Path dir, Map<String, TensorInfo> tensors) {
        this.dir = dir;
        this.tensors = tensors;
    }

    public static Checkpoint open(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            JsonNode weightMap;
            try {
                weightMap = JSON.readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw new ModelFormatException(index + " is not valid JSON: " + e.getMessage(), e);
            }
            if (weightMap == null || !weightMap.isObject()) {
                throw new ModelFormatException(index + ": 'weight_map' is missing");
            }
            Map<String, SafetensorsFile> shards = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String shardName = e.getValue().asText();
                SafetensorsFile shard = shards.computeIfAbsent(shardName, n -> {
                    Path p = dir.resolve(n);
                    if (!Files.isRegularFile(p)) {
                        throw new ModelFormatException(index + " lists shard '" + n + "' (for tensor '" + e.getKey()
                                + "') but " + p + " does not exist");
                    }
                    return SafetensorsFile.open(p);
                });
                TensorInfo t = shard.tensors().get(e.getKey());
                if (t == null) {
                    throw new ModelFormatException(index + " places tensor '" + e.getKey() + "' in " + shardName
                            + " but that shard does not contain it");
                }
                all.put(e.getKey(), t);
            }
        } else if (Files.isRegularFile(single)) {
            all.putAll(SafetensorsFile.open(single).tensors());
        } else {
            throw new ModelFormatException("no weights in " + dir
                    + ": expected model.safetensors or model.safetensors.index.json with its shards");
        }
        return new Checkpoint(dir, all);
    }

    public Path dir() { return dir; }

    public Map<String, TensorInfo> tensors() { return tensors; }

    public boolean has(String name) { return tensors.containsKey(name); }

    /** The tensor's entry, checked against the expected shape. */
    public TensorInfo info(String name, long... expectedShape) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException("tensor '" + name + "' is missing from the checkpoint in " + dir
                    + " (expected shape " + Arrays.toString(expectedShape) + ")");
        }
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new ModelFormatException("tensor '" + name + "' in " + t.file().getFileName() + " has shape "
                    + t.shapeString() + " but config.json implies " + Arrays.toString(expectedShape));
        }
        return t;
    }

    /** Reads a tensor as float32, row-major. F16 and BF16 widen exactly. */
    public float[] readFloats(String name, long... shape) {
        TensorInfo t = info(name, shape);
        ByteBuffer b = SafetensorsFile.map(t);
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = TensorDtype.bf16ToFloat(b.getShort(2 * i)); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = TensorDtype.halfToFloat(b.getShort(2 * i)); }
            case F8_E4M3 -> { for (int i = 0; i < n; i++) out[i] = io.r1stream.engine.model.load.Fp8Block.decode(b.get(i)); }
            default -> throw new ModelFormatException("tensor '" + name + "' in " + t.file().getFileName() + " is " + t.dtype()
                    + "; a float tensor (F32, F16, BF16) was expected here");
        }
        return out;
    }

    /** Reads an I32 tensor (GPTQ/AWQ packed codes, zero points, g_idx), row-major. */
    public int[] readInts(String name, long... shape) {
        TensorInfo t = info(name, shape);
        if (t.dtype() != TensorDtype.I32) {
            throw new ModelFormatException("tensor '" + name + "' in " + t.file().getFileName() + " is " + t.dtype()
                    + "; packed quantized tensors are stored as I32");
        }
        int[] out = new int[Math.toIntExact(t.elementCount())];
        SafetensorsFile.map(t).asIntBuffer().get(out);
        return out;
    }

    /** Reads a tensor's raw bytes (FP8 weights), checking its dtype and shape. */
    public byte[] readBytes(String name, TensorDtype dtype, long... shape) {
        TensorInfo t = info(name, shape);
        if (t.dtype() != dtype) {
            throw new ModelFormatException("tensor '" + name + "' in " + t.file().getFileName() + " is " + t.dtype() + "; expected " + dtype);
        }
        byte[] out = new byte[Math.toIntExact(t.byteLength())];
        SafetensorsFile.map(t).get(out);
        return out;
    }

    /** Reads a tensor as bfloat16 bits (exact for BF16, rounded for F32/F16). */
    public short[] readBf16(String name, long... shape) {
        TensorInfo t = info(name, shape);
        ByteBuffer b = SafetensorsFile.map(t);
        int n = Math.toIntExact(t.elementCount());
        short[] out = new short[n];
        switch (t.dtype()) {
            case BF16 -> b.asShortBuffer().get(out);
            case F32 -> { for (int i = 0; i < n; i++) out[i] = TensorDtype.floatToBf16(b.getFloat(4 * i)); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = TensorDtype.floatToBf16(TensorDtype.halfToFloat(b.getShort(2 * i))); }
            default -> { float[] f = readFloats(name, shape); for (int i = 0; i < n; i++) out[i] = TensorDtype.floatToBf16(f[i]); }
        }
        return out;
    }

    /**
     * The float dtype most of the checkpoint's dense tensors are stored in (decides the engine's default weight
     * format for dense matrices; packed GPTQ/AWQ codes and FP8 bytes are not counted).
     */
    public TensorDtype dominantDtype() {
        Map<TensorDtype, Long> bytes = new HashMap<>();
        for (TensorInfo t : tensors.values()) if (t.dtype().isFloat()) bytes.merge(t.dtype(), t.byteLength(), Long::sum);
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(TensorDtype.F32);
    }
}
