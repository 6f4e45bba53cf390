package io.r1stream.engine.model.arch;

/**
 * {@code rope_scaling} of type {@code yarn} as DeepSeek-V3/R1 configs carry it (R1: factor 40, original 4096,
 * beta_fast 32, beta_slow 1, mscale 1, mscale_all_dim 1). Computed as transformers'
 * {@code _compute_yarn_parameters} and {@code DeepseekV3Attention} do.
 */
public record YarnScaling(double factor, int originalMaxPositionEmbeddings, double betaFast, double betaSlow,
                          double mscale, double mscaleAllDim) {

    /** {@code yarn_get_mscale}: 1 for scale <= 1, else 0.1 * mscale * ln(scale) + 1. */
    public static double getMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /**
     * Multiplier of cos/sin ({@code attention_factor}): mscale(factor, mscale) / mscale(factor, mscale_all_dim)
     * when both are set and non-zero, else mscale(factor, 1). 1.0 for R1.
     */
    public double attentionFactor() {
        if (mscale != 0 && mscaleAllDim != 0) return getMscale(factor, mscale) / getMscale(factor, mscaleAllDim);
        return getMscale(factor, 1.0);
    }

    /** Multiplier of the softmax scale: mscale(factor, mscale_all_dim)^2 when mscale_all_dim is set (1.874 for R1). */
    public double softmaxScaleFactor() {
        if (mscaleAllDim == 0) return 1.0;
        double m = getMscale(factor, mscaleAllDim);
        return m * m;
    }

    /**
     * Inverse frequencies (radians per position) of a rope of {@code dim} dimensions: the extrapolated
     * {@code 1 / base^(2i/dim)} for high frequencies, interpolated ({@code / factor}) for low ones, linearly
     * ramped between the correction range {@code [floor(low), ceil(high)]} found from beta_fast / beta_slow.
     * float32 where transformers computes in float32.
     */
    public float[] invFreq(double base, int dim) {
        double low = Math.max(Math.floor(correctionDim(betaFast, dim, base)), 0);
        double high = Math.min(Math.ceil(correctionDim(betaSlow, dim, base)), dim - 1);
        if (low == high) high += 0.001;
        float[] out = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            float posFreq = (float) Math.pow(base, (float) (2 * i) / dim);
            float extrapolation = 1f / posFreq;
            float interpolation = 1f / ((float) factor * posFreq);
            float ramp = (float) Math.min(1, Math.max(0, (i - low) / (high - low)));
            float extrapolationFactor = 1f - ramp;
            out[i] = interpolation * (1f - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return out;
    }

    private double correctionDim(double rotations, int dim, double base) {
        return dim * Math.log(originalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }
}
