package io.r1stream.engine.model;

/**
 * How the CPU engine holds matrices in memory. Decoding reads every weight once per token, so bytes per
 * weight set the speed limit; the arithmetic is float32 in every format.
 */
public enum WeightFormat {
    /** float32: exact for every checkpoint dtype; 4 bytes per weight. */
    F32,
    /** bfloat16: exact for BF16 checkpoints (the DeepSeek-R1-Distill release format); 2 bytes per weight. */
    BF16,
    /** 8-bit codes with a float32 scale per group of inputs (or per row): ~1.1 bytes per weight. */
    INT8,
    /** 4-bit codes with a float32 scale (and zero point) per group of inputs: ~0.6 bytes per weight. */
    Q4;

    /** bf16 for BF16 checkpoints (lossless and 2x faster), float32 otherwise (lossless). */
    public static WeightFormat defaultFor(TensorDtype checkpointDtype) {
        return checkpointDtype == TensorDtype.BF16 ? BF16 : F32;
    }

    public boolean quantized() { return this == INT8 || this == Q4; }

    public static WeightFormat parse(String s) {
        for (WeightFormat f : values()) if (f.name().equalsIgnoreCase(s)) return f;
        throw new IllegalArgumentException("weight format '" + s + "' is not one of f32, bf16, int8, q4 (or auto)");
    }
}
