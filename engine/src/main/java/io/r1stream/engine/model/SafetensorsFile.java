package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.
 * The header is parsed here (not with DJL's NDList.decode, which uses int offsets and breaks past 2 GiB) and
 * each tensor is memory-mapped on demand, so files of any size load without copying the file into the heap.
 */
public final class SafetensorsFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path path, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.tensors = tensors;
    }

    public static SafetensorsFile open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new ModelFormatException(path + " is not a safetensors file: only " + size + " bytes");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new ModelFormatException(path + " is not a safetensors file: header length " + headerLen
                        + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + headerLen;
            Map<String, TensorInfo> map = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode t = e.getValue();
                TensorDtype dtype = TensorDtype.parse(t.path("dtype").asText(), e.getKey(), path);
                JsonNode shapeNode = t.get("shape");
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
                long begin = t.get("data_offsets").get(0).asLong();
                long end = t.get("data_offsets").get(1).asLong();
                TensorInfo info = new TensorInfo(e.getKey(), dtype, shape, path, dataStart + begin, end - begin);
                if (info.elementCount() * dtype.bytes() != end - begin || dataStart + end > size) {
                    throw new ModelFormatException(path + ": tensor '" + e.getKey() + "' " + info.shapeString() + " "
                            + dtype + " needs " + info.elementCount() * dtype.bytes() + " bytes but its offsets ["
                            + begin + ", " + end + ") give " + (end - begin) + " in a file of " + size + " bytes");
                }
                map.put(e.getKey(), info);
            }
            return new SafetensorsFile(path, map);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() { return path; }

    public Map<String, TensorInfo> tensors() { return tensors; }

    /** Maps one tensor's bytes read-only (little-endian). Works past 2 GiB file offsets; one tensor must be < 2 GiB. */
    public static ByteBuffer map(TensorInfo t) {
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new ModelFormatException(t.file() + ": tensor '" + t.name() + "' is " + t.byteLength()
                    + " bytes; single tensors over 2 GiB are not supported");
        }
        try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.READ)) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, t.dataStart(), t.byteLength());
            return buf.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelFormatException("cannot map tensor '" + t.name() + "' of " + t.file() + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) throw new IOException("unexpected end of file");
        }
    }
}
