package io.r1stream.engine.model;

import java.nio.file.Path;
import java.util.Arrays;

/** One tensor's entry in a safetensors header: where its bytes are ({@code start..end} after the header). */
public record TensorInfo(String name, TensorDtype dtype, long[] shape, Path file, long dataStart, long byteLength) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public String shapeString() { return Arrays.toString(shape); }
}
