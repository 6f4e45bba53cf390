package io.r1stream.jobs;

import io.r1stream.connectors.records.MetricsWindow;

import org.apache.flink.streaming.api.functions.windowing.ProcessAllWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.util.Arrays;

/** Turns one processing-time window of samples into a {@link MetricsWindow} (percentiles by nearest rank). */
public class MetricsWindowFunction extends ProcessAllWindowFunction<MetricSample, MetricsWindow, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Context context, Iterable<MetricSample> samples, Collector<MetricsWindow> out) {
        TimeWindow w = context.window();
        out.collect(aggregate(w.getStart(), w.getEnd(), samples));
    }

    static MetricsWindow aggregate(long start, long end, Iterable<MetricSample> samples) {
        int n = 0;
        long dlq = 0, completion = 0, prompt = 0, cached = 0;
        double[] ttft = new double[16];
        double[] e2e = new double[16];
        for (MetricSample s : samples) {
            if (s.deadLetter()) {
                dlq++;
                continue;
            }
            if (n == ttft.length) {
                ttft = Arrays.copyOf(ttft, n * 2);
                e2e = Arrays.copyOf(e2e, n * 2);
            }
            ttft[n] = s.ttftMs();
            e2e[n] = s.e2eMs();
            n++;
            completion += s.completionTokens();
            prompt += s.promptTokens();
            cached += s.cachedTokens();
        }
        ttft = Arrays.copyOf(ttft, n);
        e2e = Arrays.copyOf(e2e, n);
        Arrays.sort(ttft);
        Arrays.sort(e2e);
        double seconds = Math.max(1, end - start) / 1000.0;
        return new MetricsWindow(start, end, n, rank(ttft, 0.50), rank(ttft, 0.95), rank(ttft, 0.99),
                rank(e2e, 0.50), rank(e2e, 0.95), rank(e2e, 0.99), completion / seconds,
                prompt == 0 ? 0 : (double) cached / prompt, dlq);
    }

    /** Nearest-rank percentile of sorted values; 0 when empty. */
    static double rank(double[] sorted, double q) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
