package io.r1stream.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression test for checkpoints over 2 GiB: DJL's NDList.decode reads safetensors with int offsets and one
 * byte[], so a tensor stored past the 2 GiB mark is misread. Here the file is sparse (no disk used): a 2.5 GiB
 * tensor of zeros, then a small tensor whose bytes start past 2.5 GiB.
 */
class LargeSafetensorsTest {
    @TempDir Path tmp;

    @Test
    void tensorsPastTwoGibibytesAreMappedAndReadExactly() throws Exception {
        long padElements = (5L << 29) / 4;               // 2.5 GiB of F32
        long padBytes = padElements * 4;
        String header = "{\"pad\":{\"dtype\":\"F32\",\"shape\":[" + padElements + "],\"data_offsets\":[0," + padBytes + "]},"
                + "\"model.norm.weight\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[" + padBytes + "," + (padBytes + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            f.write(len.array());
            f.write(h);
            long dataStart = 8 + h.length;
            f.seek(dataStart + padBytes);
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : new float[]{1.5f, -2f, 0.25f, 3f}) b.putShort(TensorDtype.floatToBf16(v));
            f.write(b.array());
        }
        assertThat(Files.size(file)).isGreaterThan(5L << 29);
        Checkpoint ckpt = Checkpoint.open(tmp);
        assertThat(ckpt.info("model.norm.weight", 4).dataStart()).isGreaterThan(Integer.MAX_VALUE);
        assertThat(ckpt.readFloats("model.norm.weight", 4)).containsExactly(1.5f, -2f, 0.25f, 3f);
        assertThat(ckpt.readBf16("model.norm.weight", 4)).containsExactly(
                TensorDtype.floatToBf16(1.5f), TensorDtype.floatToBf16(-2f), TensorDtype.floatToBf16(0.25f), TensorDtype.floatToBf16(3f));
    }
}
