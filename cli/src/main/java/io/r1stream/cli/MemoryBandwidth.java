package io.r1stream.cli;

import io.r1stream.engine.model.MatmulThreads;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Measures read bandwidth the way decoding uses memory: streaming once through a buffer far larger than
 * the caches (1 GiB of floats), split over the same threads as the matmuls. Median of several passes.
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {}

    /** @return bytes per second (median of {@code passes}) */
    static double measure(MatmulThreads threads, long bytes, int passes) {
        int rows = 1024;
        int perRow = (int) (bytes / 4 / rows) / F.length() * F.length();
        float[][] data = new float[rows][perRow];
        for (float[] r : data) java.util.Arrays.fill(r, 1f);
        List<Double> rates = new ArrayList<>();
        DoubleAdder sink = new DoubleAdder();
        for (int p = 0; p < passes + 1; p++) {
            long t0 = System.nanoTime();
            threads.forRows(rows, 1, (from, to) -> {
                FloatVector acc = FloatVector.zero(F);
                for (int r = from; r < to; r++) {
                    float[] row = data[r];
                    for (int i = 0; i < perRow; i += F.length()) acc = acc.add(FloatVector.fromArray(F, row, i));
                }
                sink.add(acc.reduceLanes(VectorOperators.ADD));
            });
            double s = (System.nanoTime() - t0) / 1e9;
            if (p > 0) rates.add(rows * (double) perRow * 4 / s); // pass 0 warms up the JIT
        }
        if (sink.sum() < 0) System.out.print("");
        return Stats.median(rates);
    }
}
