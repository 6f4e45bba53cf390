package io.r1stream.engine.model;

import java.util.Arrays;

/**
 * A 4-bit weight matrix (out, in): half a byte per weight plus a float32 scale and zero point per group of
 * inputs (8 for symmetric matrices), an eighth of float32's bytes. The codes are repacked at load into the
 * kernel's layout (see {@link QuantKernels}); GPTQ and AWQ checkpoints decode to the same form.
 */
public final class Q4Linear extends GroupQuantLinear {
    private final byte[] packed; // (out, in / 2)

    Q4Linear(QuantizedMatrix m, MatmulThreads threads) {
        super(m, zerosOrMidpoint(m), threads);
        if (m.bits() != 4) throw new IllegalArgumentException("Q4Linear needs 4-bit codes, got " + m.bits());
        if (!supports(m.in(), m.group())) throw new IllegalArgumentException("in " + m.in() + " and group " + m.group() + " must be multiples of " + QuantKernels.q4Block());
        this.packed = QuantKernels.packQ4(m.codes(), m.out(), m.in());
    }

    /** Shapes the vector kernel handles: whole packed blocks per group. */
    static boolean supports(int in, int group) { return in % QuantKernels.q4Block() == 0 && (group % QuantKernels.q4Block() == 0 || group == in); }

    /** The zero points, or null when every one is the midpoint 8 (symmetric: the kernels use the constant). */
    private static float[] zerosOrMidpoint(QuantizedMatrix m) {
        if (m.zeros() == null) {
            if (m.midpoint() != QuantKernels.Q4_MID) {
                float[] z = new float[m.scales().length];
                Arrays.fill(z, m.midpoint());
                return z;
            }
            return null;
        }
        for (float zp : m.zeros()) if (zp != QuantKernels.Q4_MID) return m.zeros();
        return null;
    }

    @Override public long weightBytes() { return packed.length + scaleBytes(); }

    @Override
    protected void kernel(float[] x, int batch, float[] y, int from, int to) {
        QuantKernels.matmulQ4(packed, scales, zeros, group, in, out, x, batch, y, from, to);
    }

    @Override
    protected void dequantRow(int r, float[] tmp, int off) {
        QuantKernels.dequantQ4Row(packed, scales, zeros, group, in, groups, r, tmp, off);
    }
}
