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
    /** Passes run before timing: the first ones run before the JIT has compiled the vector loop. */
    private static final int WARMUP = 3;

    private MemoryBandwidth() {}

    /** @return bytes per second (median of {@code passes}) */
    static double measure(MatmulThreads threads, long bytes, int passes) {
        int rows = 1024;
        int perRow = (int) (bytes / 4 / rows) / (4 * F.length()) * (4 * F.length());
        float[][] data = new float[rows][perRow];
        for (float[] r : data) java.util.Arrays.fill(r, 1f);
        List<Double> rates = new ArrayList<>();
        DoubleAdder sink = new DoubleAdder();
        for (int p = 0; p < passes + WARMUP; p++) {
            long t0 = System.nanoTime();
            threads.forRows(rows, 1, (from, to) -> {
                float total = 0;
                for (int r = from; r < to; r++) total += sumRow(data[r]);
                sink.add(total);
            });
            double s = (System.nanoTime() - t0) / 1e9;
            if (p >= WARMUP) rates.add(rows * (double) perRow * 4 / s); // pass 0 warms up the JIT
        }
        if (sink.sum() < 0) System.out.print("");
        return Stats.median(rates);
    }

    /**
     * Sums one 1 MiB row with 4 independent accumulators, so the adds never limit the read rate. Called per
     * row (not once per pass) so the JIT compiles it normally instead of on-stack-replacing one huge loop.
     */
    private static float sumRow(float[] row) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int step = F.length();
        for (int i = 0; i < row.length; i += 4 * step) {
            a0 = a0.add(FloatVector.fromArray(F, row, i));
            a1 = a1.add(FloatVector.fromArray(F, row, i + step));
            a2 = a2.add(FloatVector.fromArray(F, row, i + 2 * step));
            a3 = a3.add(FloatVector.fromArray(F, row, i + 3 * step));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
