package io.r1stream.engine.model;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorExpTest {
    private static final int L = VectorKernels.F.length();

    @Test
    void agreesWithMathExpWithinAFewUlp() {
        Random rnd = new Random(7);
        float[] x = new float[L * 4096];
        for (int i = 0; i < x.length; i++) x[i] = -87f + 87f * rnd.nextFloat(); // attention weights: x <= 0
        x[0] = 0f;
        x[1] = -0.3465f;
        x[2] = -1e-8f;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += L) VectorExp.exp(FloatVector.fromArray(VectorKernels.F, x, i)).intoArray(y, i);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - e) / Math.ulp((float) e));
        }
        assertEquals(1f, y[0]);
        assertTrue(worst <= 3, "worst error " + worst + " ulp");
    }

    @Test
    void isTheSameBitsAsItsStepsInScalarArithmetic() {
        // the interpreter's fallback and any C2 compilation run these IEEE steps; a vendor-library exp would not match
        Random rnd = new Random(11);
        float[] x = new float[L * 256];
        for (int i = 0; i < x.length; i++) x[i] = -100f + 110f * rnd.nextFloat();
        float[] y = new float[x.length];
        for (int round = 0; round < 200; round++) { // later rounds run compiled
            for (int i = 0; i < x.length; i += L) VectorExp.exp(FloatVector.fromArray(VectorKernels.F, x, i)).intoArray(y, i);
            for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(scalar(x[i])), Float.floatToIntBits(y[i]), "x=" + x[i]);
        }
    }

    private static float scalar(float x) {
        x = Math.min(Math.max(x, -87f), 88f);
        float k = x * 1.44269504088896341f + 12582912f - 12582912f;
        float r = Math.fma(k, -0.693145751953125f, x);
        r = Math.fma(k, -1.42860682030941723212e-6f, r);
        float p = Math.fma(r, 1f / 5040f, 1f / 720f);
        p = Math.fma(p, r, 1f / 120f);
        p = Math.fma(p, r, 1f / 24f);
        p = Math.fma(p, r, 1f / 6f);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(((int) k + 127) << 23);
    }
}
