package io.r1stream.engine.model.ffn;

import java.util.Arrays;

/**
 * A mixture of experts: each row goes to the k experts its router picks, their outputs weighted and summed, plus
 * the shared experts (one MLP of width {@code n_shared_experts * moe_intermediate_size}) on every row. The step's
 * rows are grouped by expert, so each chosen expert's weights are read once per step however many rows chose it,
 * and experts nobody chose are not read at all.
 *
 * @param shared null when the config has no shared experts
 */
public final class MoeFeedForward implements FeedForward {
    private final ExpertRouter router;
    private final DenseMlp[] experts;
    private final DenseMlp shared;
    private int expertsReadLastStep;  // distinct experts whose weights the last forward read

    public MoeFeedForward(ExpertRouter router, DenseMlp[] experts, DenseMlp shared) {
        this.router = router;
        this.experts = experts;
        this.shared = shared;
    }

    public ExpertRouter router() { return router; }

    /** Distinct routed experts the last {@link #forward} ran (each read once). */
    public int expertsReadLastStep() { return expertsReadLastStep; }

    @Override
    public void forward(float[] x, int rows, float[] out) {
        int h = router.hidden(), k = router.k(), e = experts.length;
        int[] chosen = new int[rows * k];      // (rows, k) expert ids
        float[] weight = new float[rows * k];  // (rows, k)
        int[] count = new int[e];
        int[] one = new int[k];
        float[] w = new float[k];
        for (int t = 0; t < rows; t++) {
            router.route(x, t * h, one, w);
            System.arraycopy(one, 0, chosen, t * k, k);
            System.arraycopy(w, 0, weight, t * k, k);
            for (int j = 0; j < k; j++) count[one[j]]++;
        }
        if (shared != null) shared.forward(x, rows, out);
        else Arrays.fill(out, 0, rows * h, 0f);
        int read = 0;
        for (int ex = 0; ex < e; ex++) {
            if (count[ex] == 0) continue;
            read++;
            int n = count[ex];
            int[] rowOf = new int[n];
            float[] rowWeight = new float[n];
            float[] in = new float[n * h]; // (n, hidden) the rows that chose this expert
            int m = 0;
            for (int t = 0; t < rows; t++) {
                for (int j = 0; j < k; j++) {
                    if (chosen[t * k + j] == ex) {
                        rowOf[m] = t;
                        rowWeight[m] = weight[t * k + j];
                        System.arraycopy(x, t * h, in, m * h, h);
                        m++;
                    }
                }
            }
            float[] y = new float[n * h];
            experts[ex].forward(in, n, y);
            for (int i = 0; i < n; i++) {
                int o = rowOf[i] * h;
                for (int d = 0; d < h; d++) out[o + d] += rowWeight[i] * y[i * h + d];
            }
        }
        expertsReadLastStep = read;
    }

    @Override
    public long weightBytesPerToken() {
        long routerBytes = 4L * router.gate().length;
        return routerBytes + router.k() * experts[0].weightBytesPerToken() + (shared == null ? 0 : shared.weightBytesPerToken());
    }
}
