package io.r1stream.engine.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A 64-bit identity of a loaded model, stamped on every KV chunk it writes: KV is valid only for the exact
 * weights that computed it, and a fine-tune has the same shape as its base. SHA-256 over config.json, the
 * engine's weight format (quantized weights give other KV), every tensor's name, dtype and shape, and
 * {@value #SAMPLES} slices of {@value #SLICE_BYTES} bytes spread over each tensor's data. Reading samples
 * instead of every byte keeps it at milliseconds for a multi-GB checkpoint; any fine-tune or re-quantization
 * changes (almost) every slice.
 */
public final class ModelFingerprint {
    static final int SAMPLES = 16;
    static final int SLICE_BYTES = 64;

    private ModelFingerprint() {}

    public static long of(Path modelDir, Checkpoint checkpoint, String weightFormat) {
        MessageDigest sha = sha256();
        try {
            Path config = modelDir.resolve("config.json");
            if (Files.isRegularFile(config)) sha.update(Files.readAllBytes(config));
            sha.update(weightFormat.getBytes(StandardCharsets.UTF_8));
            List<String> names = new ArrayList<>(checkpoint.tensors().keySet());
            names.sort(null);
            ByteBuffer slice = ByteBuffer.allocate(SLICE_BYTES);
            for (String name : names) {
                TensorInfo t = checkpoint.tensors().get(name);
                sha.update((name + "|" + t.dtype() + "|" + t.shapeString()).getBytes(StandardCharsets.UTF_8));
                try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.READ)) {
                    long span = Math.max(0, t.byteLength() - SLICE_BYTES);
                    for (int i = 0; i < SAMPLES; i++) {
                        long at = t.dataStart() + (SAMPLES == 1 ? 0 : span * i / (SAMPLES - 1));
                        slice.clear().limit((int) Math.min(SLICE_BYTES, t.byteLength()));
                        while (slice.hasRemaining() && ch.read(slice, at + slice.position()) > 0) { /* fill */ }
                        sha.update(slice.array(), 0, slice.position());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the model in " + modelDir, e);
        }
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
