package io.r1stream.engine.model;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;

/**
 * The threads a model's matmuls split their output rows across. One thread runs inline (no hand-off cost,
 * and on 2 shared cores it is the stable choice, see FACTS.md); more split rows into equal slices.
 */
public final class MatmulThreads implements AutoCloseable {
    /** Called for output rows [from, to). */
    public interface RowRange { void run(int from, int to); }

    private final int threads;
    private final ForkJoinPool pool;

    public MatmulThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    public int threads() { return threads; }

    /** Splits [0, rows) into at most {@code threads} slices aligned to {@code align} rows and runs them. */
    public void forRows(int rows, int align, RowRange body) {
        if (pool == null || rows < 2 * align) {
            body.run(0, rows);
            return;
        }
        int slices = Math.min(threads, rows / align);
        int per = ((rows + slices - 1) / slices + align - 1) / align * align;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(slices);
        for (int from = per; from < rows; from += per) {
            int f = from, t = Math.min(rows, from + per);
            tasks.add(pool.submit(() -> body.run(f, t)));
        }
        body.run(0, Math.min(rows, per)); // the caller works too
        for (ForkJoinTask<?> t : tasks) t.join();
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdown();
    }
}
