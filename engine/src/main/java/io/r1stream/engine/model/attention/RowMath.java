package io.r1stream.engine.model.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API dot product and axpy over float32 rows, for attention over cached rows. */
public final class RowMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private RowMath() {}

    /** sum_i a[aOff+i] * b[bOff+i], for i in [0, n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** y[yOff + i] += a * x[xOff + i], for i in [0, n). */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0, upper = F.loopBound(n);
        FloatVector av = FloatVector.broadcast(F, a);
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** In-place softmax of s[0 .. n). */
    public static void softmax(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < n; p++) max = Math.max(max, s[p]);
        float sum = 0;
        for (int p = 0; p < n; p++) {
            s[p] = (float) Math.exp(s[p] - max);
            sum += s[p];
        }
        float inv = 1f / sum;
        for (int p = 0; p < n; p++) s[p] *= inv;
    }
}
