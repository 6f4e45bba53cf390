package io.r1stream.engine.model.load;

import java.nio.ByteBuffer;

/**
 * FP8 {@code F8_E4M3} (PyTorch's {@code float8_e4m3fn}) weights with block scales, as DeepSeek-V3/R1 checkpoints
 * store them: each projection {@code W (rows, cols)} is one byte per weight, and {@code W_scale_inv}
 * (F32, {@code (ceil(rows / blockRows), ceil(cols / blockCols))}) holds one multiplier per block, from
 * {@code quantization_config.weight_block_size} (128x128 in every released checkpoint). The blocks at the right
 * and bottom edges may be partial. Dequantized weight: {@code W[i, j] = fp8(W[i, j]) * scale_inv[i / br, j / bc]}.
 *
 * <p>e4m3fn: 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits; no infinities; {@code 0x7f} / {@code 0xff}
 * are NaN; largest finite magnitude 448; subnormals are {@code m * 2^-9}. Self-contained (no engine types) so
 * any loader can use it.
 */
public final class Fp8Block {
    /** Block edge of every released FP8 DeepSeek checkpoint ({@code weight_block_size: [128, 128]}). */
    public static final int DEFAULT_BLOCK = 128;
    /** Largest finite e4m3fn magnitude. */
    public static final float MAX_FINITE = 448f;

    private static final float[] DECODE = new float[256]; // fp8 bits -> float32, exact

    static {
        for (int b = 0; b < 256; b++) DECODE[b] = decodeSlow(b);
    }

    private Fp8Block() {}

    /** A quantized matrix: one fp8 byte per weight (row-major) and its (scaleRows, scaleCols) block multipliers. */
    public record Quantized(byte[] weights, float[] scaleInv, int rows, int cols, int blockRows, int blockCols) {
        public int scaleRows() { return blocks(rows, blockRows); }
        public int scaleCols() { return blocks(cols, blockCols); }
    }

    /** Blocks along an edge of n elements: {@code ceil(n / block)}. */
    public static int blocks(int n, int block) { return (n + block - 1) / block; }

    /** fp8 e4m3fn bits -> float32, exact. */
    public static float decode(byte bits) { return DECODE[bits & 0xff]; }

    private static float decodeSlow(int b) {
        float sign = (b & 0x80) != 0 ? -1f : 1f;
        int exp = (b >>> 3) & 0xf, mant = b & 0x7;
        if (exp == 0xf && mant == 0x7) return Float.NaN;
        if (exp == 0) return sign * mant * 0x1p-9f;
        return sign * (1f + mant / 8f) * (float) Math.scalb(1.0, exp - 7);
    }

    /**
     * float32 -> fp8 e4m3fn bits, round to nearest even. As PyTorch's cast: NaN, infinities and magnitudes that
     * round past 448 become NaN ({@code 0x7f} with the sign), so scale values into range first
     * ({@link #quantize}); values below half the smallest subnormal become signed zero.
     */
    public static byte encode(float f) {
        int sign = (Float.floatToRawIntBits(f) >>> 24) & 0x80;
        float a = Math.abs(f);
        if (Float.isNaN(a) || Float.isInfinite(a)) return (byte) (sign | 0x7f);
        if (a < 0x1p-6f) {
            // subnormal range: value = m * 2^-9, m in [0, 8]; m == 8 is exactly the smallest normal (bits 0x08)
            int m = (int) Math.rint(a * 0x1p9);
            return (byte) (sign | m);
        }
        int e = Math.getExponent(a);                         // a in [2^e, 2^(e+1))
        int mant = (int) Math.rint(Math.scalb((double) a, 3 - e)); // in [8, 16], ties to even
        if (mant == 16) { e++; mant = 8; }
        int biased = e + 7;
        if (biased > 15 || (biased == 15 && mant - 8 == 7)) return (byte) (sign | 0x7f);
        return (byte) (sign | (biased << 3) | (mant - 8));
    }

    /** Dequantizes fp8 weights (rows, cols) with their block scales into float32 (rows, cols). */
    public static float[] dequantize(byte[] fp8, int rows, int cols, float[] scaleInv, int blockRows, int blockCols) {
        return dequantize(ByteBuffer.wrap(fp8), rows, cols, scaleInv, blockRows, blockCols);
    }

    /**
     * Dequantizes fp8 weights read from {@code fp8} (absolute offsets from 0, e.g. a memory-mapped safetensors
     * tensor) with their block scales into float32 (rows, cols).
     *
     * @param scaleInv (ceil(rows / blockRows), ceil(cols / blockCols)) multipliers, row-major
     */
    public static float[] dequantize(ByteBuffer fp8, int rows, int cols, float[] scaleInv, int blockRows, int blockCols) {
        checkShapes(fp8.limit(), rows, cols, scaleInv.length, blockRows, blockCols);
        int sc = blocks(cols, blockCols);
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < rows; i++) {
            int srow = (i / blockRows) * sc, off = i * cols;
            for (int j = 0; j < cols; j++) {
                out[off + j] = DECODE[fp8.get(off + j) & 0xff] * scaleInv[srow + j / blockCols];
            }
        }
        return out;
    }

    /**
     * Quantizes a float32 matrix (rows, cols) the way DeepSeek's tooling does: per block,
     * {@code scale_inv = amax / 448} (1 for an all-zero block) and {@code fp8 = encode(w / scale_inv)}.
     */
    public static Quantized quantize(float[] w, int rows, int cols, int blockRows, int blockCols) {
        if (w.length != (long) rows * cols) throw new IllegalArgumentException("weights " + w.length + " != " + rows + "x" + cols);
        if (blockRows <= 0 || blockCols <= 0) throw new IllegalArgumentException("block size " + blockRows + "x" + blockCols + " must be positive");
        int sr = blocks(rows, blockRows), sc = blocks(cols, blockCols);
        float[] scale = new float[sr * sc];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int s = (i / blockRows) * sc + j / blockCols;
                scale[s] = Math.max(scale[s], Math.abs(w[i * cols + j]));
            }
        }
        for (int s = 0; s < scale.length; s++) scale[s] = scale[s] == 0f ? 1f : scale[s] / MAX_FINITE;
        byte[] q = new byte[w.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                q[i * cols + j] = encode(w[i * cols + j] / scale[(i / blockRows) * sc + j / blockCols]);
            }
        }
        return new Quantized(q, scale, rows, cols, blockRows, blockCols);
    }

    private static void checkShapes(long bytes, int rows, int cols, int scales, int blockRows, int blockCols) {
        if (blockRows <= 0 || blockCols <= 0) {
            throw new IllegalArgumentException("weight_block_size " + blockRows + "x" + blockCols + " must be positive");
        }
        if (bytes != (long) rows * cols) {
            throw new IllegalArgumentException("fp8 weight has " + bytes + " bytes but its shape is (" + rows + ", " + cols + ")");
        }
        long expected = (long) blocks(rows, blockRows) * blocks(cols, blockCols);
        if (scales != expected) {
            throw new IllegalArgumentException("weight_scale_inv has " + scales + " values but a (" + rows + ", " + cols
                    + ") weight in " + blockRows + "x" + blockCols + " blocks needs (" + blocks(rows, blockRows) + ", "
                    + blocks(cols, blockCols) + ") = " + expected + "; check quantization_config.weight_block_size");
        }
    }
}
