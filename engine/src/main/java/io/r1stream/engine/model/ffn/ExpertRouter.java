package io.r1stream.engine.model.ffn;

import io.r1stream.engine.model.arch.DeepseekV3Config;

/**
 * DeepSeek-V3's expert choice ({@code noaux_tc}): scores are {@code sigmoid(gate(x))} (float32, as transformers
 * computes the router); experts are chosen on {@code score + e_score_correction_bias}, first the
 * {@code topk_group} groups with the largest sum of their top-2 biased scores, then the top {@code k} experts in
 * those groups (the others masked to -inf, as DeepSeek's inference code does). The weights come from the unbiased
 * scores, normalized to sum 1 when {@code norm_topk_prob}, times {@code routed_scaling_factor}.
 *
 * @param gate (experts, hidden) mlp.gate.weight as float32
 * @param bias (experts) mlp.gate.e_score_correction_bias
 */
public record ExpertRouter(float[] gate, float[] bias, int experts, int hidden, int k, int groups, int topkGroups,
                           boolean normTopkProb, float routedScalingFactor) {

    public static ExpertRouter of(DeepseekV3Config c, float[] gate, float[] bias) {
        return new ExpertRouter(gate, bias, c.nRoutedExperts(), c.hiddenSize(), c.numExpertsPerTok(), c.nGroup(),
                c.topkGroup(), c.normTopkProb(), (float) c.routedScalingFactor());
    }

    /**
     * Routes one row x[off .. off + hidden): fills {@code chosen} (k expert ids, by decreasing biased score) and
     * {@code weights} (k multipliers).
     */
    public void route(float[] x, int off, int[] chosen, float[] weights) {
        float[] score = new float[experts];
        float[] choice = new float[experts];
        for (int e = 0; e < experts; e++) {
            float dot = 0;
            int g = e * hidden;
            for (int i = 0; i < hidden; i++) dot += x[off + i] * gate[g + i];
            score[e] = 1f / (1f + (float) Math.exp(-dot));
            choice[e] = score[e] + bias[e];
        }
        int perGroup = experts / groups;
        boolean[] allowed = new boolean[experts]; // experts of the kept groups
        if (groups > 1) {
            float[] groupScore = new float[groups];
            for (int gi = 0; gi < groups; gi++) {
                float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY; // top two of the group
                for (int e = gi * perGroup; e < (gi + 1) * perGroup; e++) {
                    if (choice[e] > a) { b = a; a = choice[e]; } else if (choice[e] > b) b = choice[e];
                }
                groupScore[gi] = perGroup == 1 ? a : a + b;
            }
            boolean[] keep = new boolean[groups];
            for (int n = 0; n < topkGroups; n++) {
                int best = -1;
                for (int gi = 0; gi < groups; gi++) if (!keep[gi] && (best < 0 || groupScore[gi] > groupScore[best])) best = gi;
                keep[best] = true;
            }
            for (int e = 0; e < experts; e++) allowed[e] = keep[e / perGroup];
        } else {
            java.util.Arrays.fill(allowed, true);
        }
        float sum = 0;
        for (int n = 0; n < k; n++) {
            int best = -1;
            for (int e = 0; e < experts; e++) if (allowed[e] && (best < 0 || choice[e] > choice[best])) best = e;
            chosen[n] = best;
            weights[n] = score[best];
            sum += score[best];
            allowed[best] = false; // taken
        }
        float norm = normTopkProb ? routedScalingFactor / (sum + 1e-20f) : routedScalingFactor;
        for (int n = 0; n < k; n++) weights[n] *= norm;
    }
}
