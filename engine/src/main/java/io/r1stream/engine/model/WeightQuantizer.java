package io.r1stream.engine.model;

/**
 * Dense float32 matrix (out, in) -> a {@link Linear} of a chosen format: the one function every architecture
 * calls for its matrices. Quantization is round-to-nearest per group with float16-rounded scales (as
 * llama.cpp's Q8_0/Q4_0 store them), so a checkpoint written by {@code model quantize} loads to exactly the
 * codes and scales that quantizing at load gives.
 *
 * <ul>
 *   <li>symmetric int8: s = max|w| / 127, code = clamp(round(w / s), -127, 127) + 128</li>
 *   <li>symmetric q4 (Q4_0's rule): m = the w of largest |w|, s = m / -8, code = clamp(round(w / s) + 8, 0, 15)
 *       (the full range [-8, 7] with the extreme at -8)</li>
 *   <li>zero point (both): s = (max - min) / (2^bits - 1), z = clamp(round(-min / s), 1, 2^bits - 1),
 *       code = clamp(round(w / s) + z, 0, 2^bits - 1)</li>
 * </ul>
 */
public final class WeightQuantizer {
    private WeightQuantizer() {}

    /** Round-to-nearest quantization of w (out, in) with {@code group} inputs per scale. */
    public static QuantizedMatrix quantize(float[] w, int out, int in, int bits, int group, boolean zeroPoint) {
        if (w.length != (long) out * in) throw new IllegalArgumentException("weights " + w.length + " != " + out + "x" + in);
        int gs = (in + group - 1) / group;
        int maxCode = (1 << bits) - 1;
        byte[] codes = new byte[w.length];
        float[] scales = new float[out * gs];
        float[] zeros = zeroPoint ? new float[out * gs] : null;
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < gs; g++) {
                int c0 = o * in + g * group, c1 = o * in + Math.min(in, (g + 1) * group);
                float s, z;
                if (zeroPoint) {
                    float lo = 0, hi = 0; // the range always contains 0, as GPTQ's does
                    for (int c = c0; c < c1; c++) { lo = Math.min(lo, w[c]); hi = Math.max(hi, w[c]); }
                    s = f16((hi - lo) / maxCode);
                    // z >= 1: GPTQ v1 stores zero - 1, which cannot hold a zero point of 0
                    z = s == 0 ? 1 : Math.max(1, Math.min(maxCode, Math.round(-lo / s)));
                } else if (bits == 8) {
                    float m = 0;
                    for (int c = c0; c < c1; c++) m = Math.max(m, Math.abs(w[c]));
                    s = f16(m / 127f);
                    z = 128;
                } else {
                    float m = 0;
                    for (int c = c0; c < c1; c++) if (Math.abs(w[c]) > Math.abs(m)) m = w[c];
                    s = f16(m / -8f);
                    z = 8;
                }
                float inv = s == 0 ? 0 : 1f / s;
                int lowest = !zeroPoint && bits == 8 ? 1 : 0; // symmetric int8 keeps [-127, 127]
                for (int c = c0; c < c1; c++) {
                    int code = Math.round(w[c] * inv) + (int) z;
                    codes[c] = (byte) Math.max(lowest, Math.min(maxCode, code));
                }
                scales[o * gs + g] = s;
                if (zeros != null) zeros[o * gs + g] = z;
            }
        }
        return new QuantizedMatrix(bits, out, in, group, codes, scales, zeros, null);
    }

    /** w (out, in) held in {@code spec}'s format (a quantized spec must name int8 or q4). */
    public static Linear linear(float[] w, int out, int in, WeightFormat format, WeightFormatSpec spec, MatmulThreads threads) {
        return switch (format) {
            case F32 -> new F32Linear(w, out, in, threads);
            case BF16 -> {
                short[] b = new short[w.length];
                for (int i = 0; i < w.length; i++) b[i] = TensorDtype.floatToBf16(w[i]);
                yield new Bf16Linear(b, out, in, threads);
            }
            case INT8, Q4 -> linear(quantize(w, out, in, format == WeightFormat.INT8 ? 8 : 4, spec.groupFor(in), spec.zeroPoint()), threads);
        };
    }

    /**
     * The kernel for quantized codes: int8 or q4 when the shape suits the vector kernel (inputs and group a
     * multiple of 16 / 32 with AVX-512), otherwise the dequantized matrix as float32 (exact, slower).
     */
    public static Linear linear(QuantizedMatrix m, MatmulThreads threads) {
        if (m.bits() == 8 && Int8Linear.supports(m.in(), m.group())) return new Int8Linear(m, threads);
        if (m.bits() == 4 && Q4Linear.supports(m.in(), m.group())) return new Q4Linear(m, threads);
        return new F32Linear(m.dequantize(), m.out(), m.in(), threads);
    }

    private static float f16(float v) { return TensorDtype.halfToFloat(TensorDtype.floatToHalf(v)); }
}
