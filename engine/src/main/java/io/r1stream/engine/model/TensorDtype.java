package io.r1stream.engine.model;

/**
 * Element types r1stream reads from safetensors, with their safetensors spelling and size in bytes. F32, F16
 * and BF16 hold dense weights; I32 holds GPTQ/AWQ packed codes and zero points; F8_E4M3 holds FP8
 * block-scaled weights; U8 holds raw bytes.
 */
public enum TensorDtype {
    F32(4), F16(2), BF16(2), I32(4), 
    /** FP8 e4m3fn (DeepSeek-V3/R1 and FP8 checkpoints): scaled by the tensor's {@code _scale_inv} blocks. */
    F8_E4M3(1), U8(1);

    private final int bytes;

    TensorDtype(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }

    /** True for the dtypes dense (unquantized) weight matrices are stored in. */
    public boolean isFloat() { return this == F32 || this == F16 || this == BF16; }

    public static TensorDtype parse(String safetensorsName, String tensor, Object file) {
        try {
            return valueOf(safetensorsName);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": tensor '" + tensor + "' has dtype " + safetensorsName
                    + "; r1stream reads F32, F16 and BF16 checkpoints (and the I32 / F8_E4M3 tensors of GPTQ, AWQ and FP8 ones)");
        }
    }

    /** IEEE half -> float, exact (Java 17 has no Float.float16ToFloat). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // subnormal half: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** float -> IEEE half, round to nearest even. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int val = (bits & 0x7fffffff) + 0x1000; // round
        if (val >= 0x47800000) { // overflow or NaN/Inf
            if ((bits & 0x7fffffff) >= 0x47800000) {
                if ((bits & 0x7fffffff) > 0x7f800000) return (short) (sign | 0x7e00);
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7bff);
        }
        if (val >= 0x38800000) return (short) (sign | ((val - 0x38000000) >>> 13));
        if (val < 0x33000000) return (short) sign;
        val = (bits & 0x7fffffff) >>> 23;
        return (short) (sign | ((((bits & 0x7fffff) | 0x800000) + (0x800000 >>> (val - 102))) >>> (126 - val)));
    }

    /** bfloat16 bits -> float, exact. */
    public static float bf16ToFloat(short b) { return Float.intBitsToFloat((b & 0xffff) << 16); }

    /** float -> bfloat16 bits, round to nearest even (NaN kept). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
