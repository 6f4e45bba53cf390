package io.r1stream.engine.model;

/**
 * Rotary position embedding in Hugging Face's "rotate half" layout: dimension i pairs with i + headDim/2.
 * Inverse frequencies follow {@code rope_theta} and, for Llama 3.x, the llama3 frequency scaling.
 */
public final class Rope {
    private final int half;
    private final float[] invFreq; // (headDim / 2) radians per position

    public Rope(ModelConfig c) {
        int headDim = c.headDim();
        half = headDim / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            // float32 as in transformers: 1 / theta^(2i / d)
            float f = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / headDim));
            invFreq[i] = c.ropeScaling() == null ? f : (float) c.ropeScaling().scale(f);
        }
    }

    /** Fills cos/sin (half floats each) for one position. */
    public void angles(int position, float[] cos, float[] sin) {
        for (int i = 0; i < half; i++) {
            float a = (float) position * invFreq[i];
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
    }

    /** Rotates one head vector in place: v[off .. off + headDim). */
    public void rotate(float[] v, int off, float[] cos, float[] sin) {
        for (int i = 0; i < half; i++) {
            float x1 = v[off + i], x2 = v[off + half + i];
            v[off + i] = x1 * cos[i] - x2 * sin[i];
            v[off + half + i] = x2 * cos[i] + x1 * sin[i];
        }
    }
}
