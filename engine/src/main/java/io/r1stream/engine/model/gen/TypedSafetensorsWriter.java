package io.r1stream.engine.model.gen;

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
import java.util.function.Supplier;

/**
 * Writes a safetensors file whose tensors have different dtypes (an FP8 checkpoint mixes F8_E4M3 projections,
 * F32 scales and BF16 norms). Each tensor's bytes are produced when it is written, so the file is streamed.
 */
final class TypedSafetensorsWriter {
    private record Entry(String name, long[] shape, String dtype, int elementBytes, Supplier<byte[]> bytes) {}

    private final List<Entry> entries = new ArrayList<>();

    /** @param dtype safetensors spelling (F32, BF16, F8_E4M3, ...) */
    void add(String name, long[] shape, String dtype, int elementBytes, Supplier<byte[]> bytes) {
        entries.add(new Entry(name, shape, dtype, elementBytes, bytes));
    }

    List<String> names() { return entries.stream().map(Entry::name).toList(); }

    long dataBytes() {
        long n = 0;
        for (Entry e : entries) n += count(e.shape) * e.elementBytes;
        return n;
    }

    void write(Path file) throws IOException {
        ObjectNode header = new ObjectMapper().createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            long len = count(e.shape) * e.elementBytes;
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype);
            var s = t.putArray("shape");
            for (long d : e.shape) s.add(d);
            t.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = new byte[json.length + pad];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) padded[i] = ' ';
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
            out.write(padded);
            for (Entry e : entries) {
                byte[] b = e.bytes.get();
                if (b.length != count(e.shape) * e.elementBytes) {
                    throw new IllegalStateException(e.name + ": " + b.length + " bytes for shape of " + count(e.shape) + " x " + e.elementBytes);
                }
                out.write(b);
            }
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
