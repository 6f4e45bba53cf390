package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products over float32 activations and float32 / bfloat16 weights with the Java Vector API. Weight rows
 * are read once per call and reused across up to 4 activation rows held in registers, so a batch of decoding
 * sequences costs little more memory traffic than one.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** bf16 lanes loaded per step: as many shorts as F has floats. */
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.length() == F.length()
            ? ShortVector.SPECIES_PREFERRED : VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private VectorKernels() {}

    /** sum_i a[aOff+i] * b[bOff+i], for i in [0, n). */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** y[yOff + i] += a * x[xOff + i], for i in [0, n): the attention-weighted sum of V rows. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int upper = F.loopBound(n);
        FloatVector av = FloatVector.broadcast(F, a);
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** y[b*out + o] = dot(x row b, W row o) for o in [from, to), float32 weights (out, in). */
    static void matmulF32(float[] w, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        int upper = F.loopBound(in);
        for (int o = from; o < to; o++) {
            int wOff = o * in;
            int b = 0;
            for (; b + 4 <= batch; b += 4) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
                int i = 0;
                for (; i < upper; i += F.length()) {
                    FloatVector wv = FloatVector.fromArray(F, w, wOff + i);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                }
                float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
                float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
                for (; i < in; i++) {
                    float wi = w[wOff + i];
                    s0 += wi * x[x0 + i]; s1 += wi * x[x1 + i]; s2 += wi * x[x2 + i]; s3 += wi * x[x3 + i];
                }
                y[b * out + o] = s0; y[(b + 1) * out + o] = s1; y[(b + 2) * out + o] = s2; y[(b + 3) * out + o] = s3;
            }
            for (; b < batch; b++) y[b * out + o] = dot(w, wOff, x, b * in, in);
        }
    }

    /** Same as {@link #matmulF32} with bfloat16 weight bits, widened to float32 exactly in registers. */
    static void matmulBf16(short[] w, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        int step = F.length();
        int upper = in - in % step;
        for (int o = from; o < to; o++) {
            int wOff = o * in;
            int b = 0;
            for (; b + 4 <= batch; b += 4) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
                int i = 0;
                for (; i < upper; i += step) {
                    FloatVector wv = widen(w, wOff + i);
                    a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                }
                float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
                float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
                for (; i < in; i++) {
                    float wi = TensorDtype.bf16ToFloat(w[wOff + i]);
                    s0 += wi * x[x0 + i]; s1 += wi * x[x1 + i]; s2 += wi * x[x2 + i]; s3 += wi * x[x3 + i];
                }
                y[b * out + o] = s0; y[(b + 1) * out + o] = s1; y[(b + 2) * out + o] = s2; y[(b + 3) * out + o] = s3;
            }
            for (; b < batch; b++) y[b * out + o] = dotBf16(w, wOff, x, b * in, in);
        }
    }

    /**
     * One bf16 row times one activation row, 2 accumulator chains. A small method of its own with the widening
     * written out: inlined into matmulBf16, the widening call kept the boxed fallback in the JFR profile of bf16
     * decoding.
     */
    private static float dotBf16(short[] w, int wOff, float[] x, int xOff, int in) {
        int step = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * step <= in; i += 2 * step) {
            a0 = ((FloatVector) ShortVector.fromArray(S, w, wOff + i).convertShape(VectorOperators.S2I, I, 0)
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = ((FloatVector) ShortVector.fromArray(S, w, wOff + i + step).convertShape(VectorOperators.S2I, I, 0)
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(FloatVector.fromArray(F, x, xOff + i + step), a1);
        }
        for (; i + step <= in; i += step) {
            a0 = ((FloatVector) ShortVector.fromArray(S, w, wOff + i).convertShape(VectorOperators.S2I, I, 0)
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) s += TensorDtype.bf16ToFloat(w[wOff + i]) * x[xOff + i];
        return s;
    }

    /** F.length() bf16 values -> float32: zero-extend to int, shift into the high half, reinterpret. */
    static FloatVector widen(short[] w, int off) {
        return (FloatVector) ShortVector.fromArray(S, w, off)
                .convertShape(VectorOperators.S2I, I, 0)
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }
}
