package io.r1stream.cli;

import java.util.Arrays;
import java.util.List;

/** Percentiles of benchmark samples (nearest rank). */
final class Stats {
    private Stats() {}

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        int idx = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, idx))];
    }

    static double median(List<Double> values) { return percentile(values, 50); }
}
