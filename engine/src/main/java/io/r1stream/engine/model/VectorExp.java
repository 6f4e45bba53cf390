package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp(x) for the attention weights, L lanes at a time, built only from lanewise IEEE operations (fma, add, mul,
 * integer add and shift on the bits), so every lane's result is the same bits in the interpreter and in
 * any C2 compilation. The Vector API's own {@code EXP} is faster to write but not stable: its intrinsic (a vendor
 * math library) and its Java fallback ({@code Math.exp} per lane) differ in the last bits, so the same request gave
 * different logits before and after JIT compilation.
 *
 * <p>Method: x = k ln2 + r with k = round(x log2 e) (the 1.5 * 2^23 add rounds to nearest) and |r| <= ln2 / 2
 * (ln2 split in two for an exact k ln2); exp(r) by its Taylor polynomial to degree 7 (truncation error below
 * 6e-9 relative, under float32's half ulp); times 2^k written into the exponent bits. Inputs are clamped to
 * [-87, 88], where 2^k stays a normal float; the attention only passes x <= 0. Relative error against
 * {@code Math.exp}: about 2 ulp.
 */
final class VectorExp {
    private static final VectorSpecies<Float> F = VectorKernels.F;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f; // ln2's first 16 bits: k * LN2_HI is exact for |k| < 2^8
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: x + ROUND - ROUND rounds x to the nearest integer
    private static final int ROUND_BITS = 0x4B400000; // Float.floatToIntBits(ROUND)
    private static final float LO = -87f, HI = 88f;

    static {
        exp(FloatVector.zero(F)); // initializes the vector classes before C2 compiles a caller (see QuantKernels)
    }

    private VectorExp() {}

    static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector t = x.mul(LOG2E).add(ROUND); // bits: those of ROUND plus k
        FloatVector k = t.sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
        // Horner: 1 + r (1 + r/2 (1 + r/3 (1 + r/4 (1 + r/5 (1 + r/6 (1 + r/7))))))
        FloatVector p = r.fma(FloatVector.broadcast(F, 1f / 5040f), FloatVector.broadcast(F, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        // 2^k from t's bits, without a float-to-int conversion (C2 left that one as the boxed fallback here)
        IntVector bits = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }
}
