package io.r1stream.engine.model.attention;

import io.r1stream.engine.model.arch.DeepseekV3Config;

/**
 * Rotary embedding of MLA's rope parts ({@code qk_rope_head_dim} dims of each query head and the shared rope key).
 * With {@code rope_interleave} (DeepSeek-V3's default) consecutive pairs (2i, 2i+1) rotate with frequency i, which
 * is what transformers computes by de-interleaving before {@code rotate_half}; the rotated pair is stored back in
 * place (a permutation applied to both q and k leaves their dot products unchanged). Without it, dimension i pairs
 * with i + dim/2. Under YaRN the frequencies are YaRN's and cos/sin carry its {@code attention_factor}.
 */
public final class MlaRope {
    private final int half;
    private final boolean interleave;
    private final float[] invFreq;   // (dim / 2) radians per position
    private final float cosSinScale; // yarn attention_factor (1 without YaRN)

    public MlaRope(DeepseekV3Config c) {
        int dim = c.qkRopeHeadDim();
        half = dim / 2;
        interleave = c.ropeInterleave();
        if (c.yarn() != null) {
            invFreq = c.yarn().invFreq(c.ropeTheta(), dim);
            cosSinScale = (float) c.yarn().attentionFactor();
        } else {
            invFreq = new float[half];
            for (int i = 0; i < half; i++) invFreq[i] = 1f / (float) Math.pow(c.ropeTheta(), (float) (2 * i) / dim);
            cosSinScale = 1f;
        }
    }

    /** cos/sin (dim/2 floats each) for one position, float32 as transformers computes them. */
    public void angles(int position, float[] cos, float[] sin, int off) {
        for (int i = 0; i < half; i++) {
            float a = (float) position * invFreq[i];
            cos[off + i] = (float) Math.cos(a) * cosSinScale;
            sin[off + i] = (float) Math.sin(a) * cosSinScale;
        }
    }

    /** Rotates v[off .. off + dim) in place with angles cos/sin[aOff .. aOff + dim/2). */
    public void rotate(float[] v, int off, float[] cos, float[] sin, int aOff) {
        for (int i = 0; i < half; i++) {
            int a = interleave ? off + 2 * i : off + i, b = interleave ? a + 1 : off + half + i;
            float x1 = v[a], x2 = v[b], c = cos[aOff + i], s = sin[aOff + i];
            v[a] = x1 * c - x2 * s;
            v[b] = x2 * c + x1 * s;
        }
    }
}
