package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a safetensors file from float32 data, storing each tensor as F32, F16 or BF16. Tensors are streamed:
 * the header is computed from shapes first, then each tensor's data is produced and written in order, so a
 * multi-GiB file never sits in memory at once.
 */
public final class SafetensorsWriter {
    /** Produces a tensor's values (row-major float32) when it is its turn to be written. */
    public interface TensorSource { float[] values(); }

    /** Produces a tensor's raw little-endian bytes (packed codes, FP8 bytes, any dtype) when it is its turn. */
    public interface RawSource { byte[] bytes(); }

    private record Entry(String name, TensorDtype dtype, long[] shape, TensorSource source, RawSource raw) {}

    private final TensorDtype dtype;
    private final List<Entry> entries = new ArrayList<>();

    public SafetensorsWriter(TensorDtype dtype) { this.dtype = dtype; }

    public SafetensorsWriter add(String name, long[] shape, TensorSource source) {
        entries.add(new Entry(name, dtype, shape, source, null));
        return this;
    }

    /** Adds a tensor stored in {@code dtype} whose bytes the source produces as they are to be written. */
    public SafetensorsWriter addRaw(String name, TensorDtype dtype, long[] shape, RawSource source) {
        entries.add(new Entry(name, dtype, shape, null, source));
        return this;
    }

    /** Adds a float tensor stored in {@code dtype} (F32, F16 or BF16), whatever the writer's default dtype. */
    public SafetensorsWriter add(String name, TensorDtype dtype, long[] shape, TensorSource source) {
        entries.add(new Entry(name, dtype, shape, source, null));
        return this;
    }

    public List<String> names() { return entries.stream().map(Entry::name).toList(); }

    public long dataBytes() {
        long n = 0;
        for (Entry e : entries) n += count(e.shape) * e.dtype.bytes();
        return n;
    }

    public void write(Path file) throws IOException {
        ObjectNode header = new ObjectMapper().createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            long len = count(e.shape) * e.dtype.bytes();
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var s = t.putArray("shape");
            for (long d : e.shape) s.add(d);
            t.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8; // keep tensor data 8-byte aligned, as the Python writer does
        byte[] padded = new byte[json.length + pad];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) padded[i] = ' ';
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Entry e : entries) {
                if (e.raw != null) {
                    byte[] raw = e.raw.bytes();
                    if (raw.length != count(e.shape) * e.dtype.bytes()) {
                        throw new IllegalStateException(e.name + ": " + raw.length + " bytes for shape of " + count(e.shape) + " x " + e.dtype);
                    }
                    out.write(raw);
                    continue;
                }
                TensorDtype dtype = e.dtype;
                float[] v = e.source.values();
                if (v.length != count(e.shape)) {
                    throw new IllegalStateException(e.name + ": " + v.length + " values for shape of " + count(e.shape));
                }
                ByteBuffer buf = ByteBuffer.allocate(v.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
                switch (dtype) {
                    case F32 -> buf.asFloatBuffer().put(v);
                    case F16 -> { for (float f : v) buf.putShort(TensorDtype.floatToHalf(f)); }
                    case BF16 -> { for (float f : v) buf.putShort(TensorDtype.floatToBf16(f)); }
                    default -> throw new IllegalStateException("float data cannot be written as " + dtype);
                }
                out.write(buf.array());
            }
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
