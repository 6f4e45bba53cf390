package io.r1stream.operators;

import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A Flink histogram of durations reported in seconds. Flink histograms take {@code long}s, so values are
 * recorded in microseconds ({@link #updateMillis}) and the statistics scaled to seconds: quantiles, mean and
 * standard deviation are exact doubles; min, max and the raw values are whole seconds (rounded down).
 */
final class SecondsHistogram implements Histogram {
    private static final double MICROS_PER_SECOND = 1e6;
    private final DescriptiveStatisticsHistogram micros;

    SecondsHistogram(int windowSize) { this.micros = new DescriptiveStatisticsHistogram(windowSize); }

    void updateMillis(double ms) { micros.update(Math.max(0, Math.round(ms * 1000))); }

    @Override public void update(long valueMicros) { micros.update(valueMicros); }

    @Override public long getCount() { return micros.getCount(); }

    @Override
    public HistogramStatistics getStatistics() {
        HistogramStatistics s = micros.getStatistics();
        return new HistogramStatistics() {
            @Override public double getQuantile(double q) { return s.getQuantile(q) / MICROS_PER_SECOND; }
            @Override public long[] getValues() {
                long[] v = s.getValues();
                for (int i = 0; i < v.length; i++) v[i] = (long) (v[i] / MICROS_PER_SECOND);
                return v;
            }
            @Override public int size() { return s.size(); }
            @Override public double getMean() { return s.getMean() / MICROS_PER_SECOND; }
            @Override public double getStdDev() { return s.getStdDev() / MICROS_PER_SECOND; }
            @Override public long getMax() { return (long) (s.getMax() / MICROS_PER_SECOND); }
            @Override public long getMin() { return (long) (s.getMin() / MICROS_PER_SECOND); }
        };
    }
}
