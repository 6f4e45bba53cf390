package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matmul kernels {@link F32Linear} and {@link Bf16Linear} run. Every line of a block is written out so the
 * JIT keeps all accumulators in vector registers (a loop over an accumulator array would spill).
 */
final class TiledMatmul {
    private static final VectorSpecies<Float> F = VectorKernels.F;

    private TiledMatmul() {}

    /**
     * y[b*out + o] = dot(x row b, W row o) for o in [from, to), f32 weights (out, in). Register-blocked: 4 weight
     * rows x 4 activation rows per pass (16 accumulators), so each loaded weight vector feeds 4 FMAs and each
     * loaded activation vector 4 more. Blocks are separate small methods so each is JIT-compiled with its own
     * profile (one big method deoptimized when decoding switched it from batch 16 to batch 1).
     */
    static void matmulF32(float[] w, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        if (batch < 4) { // decoding: memory-bound, the row-at-a-time kernel streams weights fastest
            VectorKernels.matmulF32(w, in, out, x, batch, y, from, to);
            return;
        }
        int o = from;
        for (; o + 4 <= to; o += 4) {
            int b = 0;
            for (; b + 4 <= batch; b += 4) block4x4F32(w, o * in, in, out, x, y, o, b);
            for (; b < batch; b++) block4x1F32(w, o * in, in, out, x, y, o, b);
        }
        if (o < to) VectorKernels.matmulF32(w, in, out, x, batch, y, o, to);
    }

    /**
     * Weight rows o..o+3 (starting at {@code wBase} in w, rows {@code in} apart) times activation rows b..b+3.
     * The quantized formats call it on a tile of 4 rows dequantized to float32.
     */
    static void block4x4F32(float[] w, int wBase, int in, int out, float[] x, float[] y, int o, int b) {
        int step = F.length();
        int upper = in - in % step;
        int w0 = wBase, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F), a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector u0 = FloatVector.fromArray(F, w, w0 + i);
            a00 = u0.fma(v0, a00);
            a01 = u0.fma(v1, a01);
            a02 = u0.fma(v2, a02);
            a03 = u0.fma(v3, a03);
            FloatVector u1 = FloatVector.fromArray(F, w, w1 + i);
            a10 = u1.fma(v0, a10);
            a11 = u1.fma(v1, a11);
            a12 = u1.fma(v2, a12);
            a13 = u1.fma(v3, a13);
            FloatVector u2 = FloatVector.fromArray(F, w, w2 + i);
            a20 = u2.fma(v0, a20);
            a21 = u2.fma(v1, a21);
            a22 = u2.fma(v2, a22);
            a23 = u2.fma(v3, a23);
            FloatVector u3 = FloatVector.fromArray(F, w, w3 + i);
            a30 = u3.fma(v0, a30);
            a31 = u3.fma(v1, a31);
            a32 = u3.fma(v2, a32);
            a33 = u3.fma(v3, a33);
        }
        float s00 = a00.reduceLanes(VectorOperators.ADD);
        float s01 = a01.reduceLanes(VectorOperators.ADD);
        float s02 = a02.reduceLanes(VectorOperators.ADD);
        float s03 = a03.reduceLanes(VectorOperators.ADD);
        float s10 = a10.reduceLanes(VectorOperators.ADD);
        float s11 = a11.reduceLanes(VectorOperators.ADD);
        float s12 = a12.reduceLanes(VectorOperators.ADD);
        float s13 = a13.reduceLanes(VectorOperators.ADD);
        float s20 = a20.reduceLanes(VectorOperators.ADD);
        float s21 = a21.reduceLanes(VectorOperators.ADD);
        float s22 = a22.reduceLanes(VectorOperators.ADD);
        float s23 = a23.reduceLanes(VectorOperators.ADD);
        float s30 = a30.reduceLanes(VectorOperators.ADD);
        float s31 = a31.reduceLanes(VectorOperators.ADD);
        float s32 = a32.reduceLanes(VectorOperators.ADD);
        float s33 = a33.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
            float q0 = w[w0 + i];
            float q1 = w[w1 + i];
            float q2 = w[w2 + i];
            float q3 = w[w3 + i];
            s00 += q0 * x[x0 + i];
            s01 += q0 * x[x1 + i];
            s02 += q0 * x[x2 + i];
            s03 += q0 * x[x3 + i];
            s10 += q1 * x[x0 + i];
            s11 += q1 * x[x1 + i];
            s12 += q1 * x[x2 + i];
            s13 += q1 * x[x3 + i];
            s20 += q2 * x[x0 + i];
            s21 += q2 * x[x1 + i];
            s22 += q2 * x[x2 + i];
            s23 += q2 * x[x3 + i];
            s30 += q3 * x[x0 + i];
            s31 += q3 * x[x1 + i];
            s32 += q3 * x[x2 + i];
            s33 += q3 * x[x3 + i];
        }
        y[(b + 0) * out + o + 0] = s00;
        y[(b + 1) * out + o + 0] = s01;
        y[(b + 2) * out + o + 0] = s02;
        y[(b + 3) * out + o + 0] = s03;
        y[(b + 0) * out + o + 1] = s10;
        y[(b + 1) * out + o + 1] = s11;
        y[(b + 2) * out + o + 1] = s12;
        y[(b + 3) * out + o + 1] = s13;
        y[(b + 0) * out + o + 2] = s20;
        y[(b + 1) * out + o + 2] = s21;
        y[(b + 2) * out + o + 2] = s22;
        y[(b + 3) * out + o + 2] = s23;
        y[(b + 0) * out + o + 3] = s30;
        y[(b + 1) * out + o + 3] = s31;
        y[(b + 2) * out + o + 3] = s32;
        y[(b + 3) * out + o + 3] = s33;
    }

    /** Weight rows o..o+3 times activation row b (decoding at batch 1 lands here). */
    static void block4x1F32(float[] w, int wBase, int in, int out, float[] x, float[] y, int o, int b) {
        int step = F.length();
        int upper = in - in % step;
        int w0 = wBase, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, x0 = b * in;
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            c0 = FloatVector.fromArray(F, w, w0 + i).fma(v, c0);
            c1 = FloatVector.fromArray(F, w, w1 + i).fma(v, c1);
            c2 = FloatVector.fromArray(F, w, w2 + i).fma(v, c2);
            c3 = FloatVector.fromArray(F, w, w3 + i).fma(v, c3);
        }
        float t0 = c0.reduceLanes(VectorOperators.ADD);
        float t1 = c1.reduceLanes(VectorOperators.ADD);
        float t2 = c2.reduceLanes(VectorOperators.ADD);
        float t3 = c3.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
            float xv = x[x0 + i];
            t0 += w[w0 + i] * xv;
            t1 += w[w1 + i] * xv;
            t2 += w[w2 + i] * xv;
            t3 += w[w3 + i] * xv;
        }
        y[b * out + o + 0] = t0;
        y[b * out + o + 1] = t1;
        y[b * out + o + 2] = t2;
        y[b * out + o + 3] = t3;
    }

    /**
     * y[b*out + o] = dot(x row b, W row o) for o in [from, to), bf16 weights (out, in). Register-blocked: 4 weight
     * rows x 4 activation rows per pass (16 accumulators), so each loaded weight vector feeds 4 FMAs and each
     * loaded activation vector 4 more. Blocks are separate small methods so each is JIT-compiled with its own
     * profile (one big method deoptimized when decoding switched it from batch 16 to batch 1).
     */
    static void matmulBf16(short[] w, int in, int out, float[] x, int batch, float[] y, int from, int to) {
        if (batch < 4) { // decoding: memory-bound, the row-at-a-time kernel streams weights fastest
            VectorKernels.matmulBf16(w, in, out, x, batch, y, from, to);
            return;
        }
        int o = from;
        for (; o + 4 <= to; o += 4) {
            int b = 0;
            for (; b + 4 <= batch; b += 4) block4x4Bf16(w, in, out, x, y, o, b);
            for (; b < batch; b++) block4x1Bf16(w, in, out, x, y, o, b);
        }
        if (o < to) VectorKernels.matmulBf16(w, in, out, x, batch, y, o, to);
    }

    /** Weight rows o..o+3 times activation rows b..b+3. */
    private static void block4x4Bf16(short[] w, int in, int out, float[] x, float[] y, int o, int b) {
        int step = F.length();
        int upper = in - in % step;
        int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        int x0 = b * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F), a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector u0 = VectorKernels.widen(w, w0 + i);
            a00 = u0.fma(v0, a00);
            a01 = u0.fma(v1, a01);
            a02 = u0.fma(v2, a02);
            a03 = u0.fma(v3, a03);
            FloatVector u1 = VectorKernels.widen(w, w1 + i);
            a10 = u1.fma(v0, a10);
            a11 = u1.fma(v1, a11);
            a12 = u1.fma(v2, a12);
            a13 = u1.fma(v3, a13);
            FloatVector u2 = VectorKernels.widen(w, w2 + i);
            a20 = u2.fma(v0, a20);
            a21 = u2.fma(v1, a21);
            a22 = u2.fma(v2, a22);
            a23 = u2.fma(v3, a23);
            FloatVector u3 = VectorKernels.widen(w, w3 + i);
            a30 = u3.fma(v0, a30);
            a31 = u3.fma(v1, a31);
            a32 = u3.fma(v2, a32);
            a33 = u3.fma(v3, a33);
        }
        float s00 = a00.reduceLanes(VectorOperators.ADD);
        float s01 = a01.reduceLanes(VectorOperators.ADD);
        float s02 = a02.reduceLanes(VectorOperators.ADD);
        float s03 = a03.reduceLanes(VectorOperators.ADD);
        float s10 = a10.reduceLanes(VectorOperators.ADD);
        float s11 = a11.reduceLanes(VectorOperators.ADD);
        float s12 = a12.reduceLanes(VectorOperators.ADD);
        float s13 = a13.reduceLanes(VectorOperators.ADD);
        float s20 = a20.reduceLanes(VectorOperators.ADD);
        float s21 = a21.reduceLanes(VectorOperators.ADD);
        float s22 = a22.reduceLanes(VectorOperators.ADD);
        float s23 = a23.reduceLanes(VectorOperators.ADD);
        float s30 = a30.reduceLanes(VectorOperators.ADD);
        float s31 = a31.reduceLanes(VectorOperators.ADD);
        float s32 = a32.reduceLanes(VectorOperators.ADD);
        float s33 = a33.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
            float q0 = TensorDtype.bf16ToFloat(w[w0 + i]);
            float q1 = TensorDtype.bf16ToFloat(w[w1 + i]);
            float q2 = TensorDtype.bf16ToFloat(w[w2 + i]);
            float q3 = TensorDtype.bf16ToFloat(w[w3 + i]);
            s00 += q0 * x[x0 + i];
            s01 += q0 * x[x1 + i];
            s02 += q0 * x[x2 + i];
            s03 += q0 * x[x3 + i];
            s10 += q1 * x[x0 + i];
            s11 += q1 * x[x1 + i];
            s12 += q1 * x[x2 + i];
            s13 += q1 * x[x3 + i];
            s20 += q2 * x[x0 + i];
            s21 += q2 * x[x1 + i];
            s22 += q2 * x[x2 + i];
            s23 += q2 * x[x3 + i];
            s30 += q3 * x[x0 + i];
            s31 += q3 * x[x1 + i];
            s32 += q3 * x[x2 + i];
            s33 += q3 * x[x3 + i];
        }
        y[(b + 0) * out + o + 0] = s00;
        y[(b + 1) * out + o + 0] = s01;
        y[(b + 2) * out + o + 0] = s02;
        y[(b + 3) * out + o + 0] = s03;
        y[(b + 0) * out + o + 1] = s10;
        y[(b + 1) * out + o + 1] = s11;
        y[(b + 2) * out + o + 1] = s12;
        y[(b + 3) * out + o + 1] = s13;
        y[(b + 0) * out + o + 2] = s20;
        y[(b + 1) * out + o + 2] = s21;
        y[(b + 2) * out + o + 2] = s22;
        y[(b + 3) * out + o + 2] = s23;
        y[(b + 0) * out + o + 3] = s30;
        y[(b + 1) * out + o + 3] = s31;
        y[(b + 2) * out + o + 3] = s32;
        y[(b + 3) * out + o + 3] = s33;
    }

    /** Weight rows o..o+3 times activation row b (decoding at batch 1 lands here). */
    private static void block4x1Bf16(short[] w, int in, int out, float[] x, float[] y, int o, int b) {
        int step = F.length();
        int upper = in - in % step;
        int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, x0 = b * in;
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            c0 = VectorKernels.widen(w, w0 + i).fma(v, c0);
            c1 = VectorKernels.widen(w, w1 + i).fma(v, c1);
            c2 = VectorKernels.widen(w, w2 + i).fma(v, c2);
            c3 = VectorKernels.widen(w, w3 + i).fma(v, c3);
        }
        float t0 = c0.reduceLanes(VectorOperators.ADD);
        float t1 = c1.reduceLanes(VectorOperators.ADD);
        float t2 = c2.reduceLanes(VectorOperators.ADD);
        float t3 = c3.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
            float xv = x[x0 + i];
            t0 += TensorDtype.bf16ToFloat(w[w0 + i]) * xv;
            t1 += TensorDtype.bf16ToFloat(w[w1 + i]) * xv;
            t2 += TensorDtype.bf16ToFloat(w[w2 + i]) * xv;
            t3 += TensorDtype.bf16ToFloat(w[w3 + i]) * xv;
        }
        y[b * out + o + 0] = t0;
        y[b * out + o + 1] = t1;
        y[b * out + o + 2] = t2;
        y[b * out + o + 3] = t3;
    }

}
