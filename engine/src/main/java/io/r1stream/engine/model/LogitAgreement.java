package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvSequence;

import java.util.List;
import java.util.SplittableRandom;

/**
 * How far a forward pass in one weight format moves from a baseline (the checkpoint's own precision) on the
 * same tokens: the baseline decodes greedily from seeded random prompts, the candidate is fed the very same
 * tokens (teacher forcing), and every position's logits are compared.
 *
 * @param positions         logit vectors compared
 * @param maxAbsDiff        max over positions and vocabulary of |candidate - baseline| (logit units)
 * @param meanKl            mean over positions of KL(softmax(baseline) || softmax(candidate)) (nats)
 * @param greedyAgreement   fraction of positions whose argmax is the same token
 * @param baselineSeconds   time the baseline spent in its forward passes
 * @param candidateSeconds  time the candidate spent in its forward passes
 */
public record LogitAgreement(int positions, double maxAbsDiff, double meanKl, double greedyAgreement,
                             double baselineSeconds, double candidateSeconds) {

    /** {@code prompts} prompts of {@code promptTokens} random ids, then {@code positions} greedy steps each. */
    public static LogitAgreement measure(Transformer baseline, Transformer candidate, int vocab, int prompts, int promptTokens,
                                         int positions, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 0, agree = 0;
        double maxAbs = 0, klSum = 0, tb = 0, tc = 0;
        for (int p = 0; p < prompts; p++) {
            int[] prompt = rnd.ints(promptTokens, 0, vocab).toArray();
            KvSequence kb = sequence(baseline, promptTokens + positions), kc = sequence(candidate, promptTokens + positions);
            int[] step = prompt;
            for (int j = 0; j < positions; j++) {
                long t0 = System.nanoTime();
                float[] lb = baseline.forward(List.of(new SequenceStep(kb, step, true)))[0];
                long t1 = System.nanoTime();
                float[] lc = candidate.forward(List.of(new SequenceStep(kc, step, true)))[0];
                long t2 = System.nanoTime();
                tb += (t1 - t0) / 1e9;
                tc += (t2 - t1) / 1e9;
                int ab = argmax(lb), ac = argmax(lc);
                if (ab == ac) agree++;
                for (int i = 0; i < lb.length; i++) maxAbs = Math.max(maxAbs, Math.abs(lb[i] - lc[i]));
                klSum += kl(lb, lc);
                n++;
                step = new int[]{ab};
            }
        }
        return new LogitAgreement(n, maxAbs, klSum / n, agree / (double) n, tb, tc);
    }

    private static KvSequence sequence(Transformer t, int tokens) {
        KvSequence kv = new KvSequence(t.kvLayout());
        kv.reserve(tokens, KvBlockSource.unbounded(t.kvLayout()));
        return kv;
    }

    /** KL(softmax(a) || softmax(b)) in nats, in double precision. */
    static double kl(float[] a, float[] b) {
        double ma = Double.NEGATIVE_INFINITY, mb = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) { ma = Math.max(ma, a[i]); mb = Math.max(mb, b[i]); }
        double za = 0, zb = 0;
        for (int i = 0; i < a.length; i++) { za += Math.exp(a[i] - ma); zb += Math.exp(b[i] - mb); }
        double lza = Math.log(za) + ma, lzb = Math.log(zb) + mb, kl = 0;
        for (int i = 0; i < a.length; i++) {
            double lpa = a[i] - lza, lpb = b[i] - lzb;
            kl += Math.exp(lpa) * (lpa - lpb);
        }
        return Math.max(0, kl);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
