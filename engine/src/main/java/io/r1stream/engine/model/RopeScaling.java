package io.r1stream.engine.model;

/**
 * {@code rope_scaling} of type {@code llama3} (Llama 3.1, DeepSeek-R1-Distill-Llama-8B): low frequencies are
 * divided by {@code factor}, high ones kept, and the band between interpolated smoothly.
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

    /** Scales one inverse frequency (radians per position) as transformers' {@code _compute_llama3_parameters} does. */
    public double scale(double invFreq) {
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        double wavelen = 2 * Math.PI / invFreq;
        if (wavelen < highFreqWavelen) return invFreq;
        if (wavelen > lowFreqWavelen) return invFreq / factor;
        double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }
}
