package io.r1stream.engine.model.arch;

import io.r1stream.engine.model.attention.RowMath;

/** RMSNorm over rows: {@code out = weight * (x / sqrt(mean(x^2) + eps))}, float32. */
public final class RmsNorm {
    private RmsNorm() {}

    /** Rows [0, rows) of width n, read at stride {@code inStride} from x, written densely (stride n) to out. */
    public static void apply(float[] x, int inStride, int inOff, float[] weight, float[] out, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            int off = inOff + r * inStride, o = r * n;
            float ss = RowMath.dot(x, off, x, off, n) / n;
            float inv = (float) (1.0 / Math.sqrt(ss + eps));
            for (int i = 0; i < n; i++) out[o + i] = weight[i] * (x[off + i] * inv);
        }
    }

    public static void apply(float[] x, float[] weight, float[] out, int rows, int n, float eps) {
        apply(x, n, 0, weight, out, rows, n, eps);
    }
}
