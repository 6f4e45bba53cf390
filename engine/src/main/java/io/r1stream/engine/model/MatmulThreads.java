package io.r1stream.engine.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads a model's matmuls split their output rows across: the calling thread plus {@code threads - 1}
 * persistent workers; a call is cut into a fixed set of chunks that the threads take in turn from a shared
 * counter, so a call costs a wake-up and one small record, no fork-join tasks, and a thread slowed by its
 * core's other work does fewer chunks (16 concurrent sequences at 2 threads: 80.5 and 85.6 tokens/s against 56.5
 * and 66.2 with one static half per thread, alternating runs). A fork-join region per matmul (an earlier design)
 * spent much of the second thread on hand-offs in the batched path. Workers spin briefly after a call (the next matmul of a step follows within
 * microseconds), then park; one thread runs inline (no hand-off, and on 2 shared cores the stable choice).
 *
 * <p>Calls are serialized (one forward pass drives a model's threads); a body must not call forRows itself.
 */
public final class MatmulThreads implements AutoCloseable {
    /** Called for output rows [from, to). */
    public interface RowRange { void run(int from, int to); }

    /** Spin iterations (Thread.onSpinWait) before parking: ~10-50 us, the gap between a step's matmuls. */
    private static final int SPINS = 20_000;

    private final int threads;
    private final Worker[] workers;
    private final Object callLock = new Object();
    /** Chunks per thread in one call: enough to even out a slower thread, few enough to keep hand-offs cheap. */
    private static final int CHUNKS_PER_THREAD = 4;

    /**
     * One call: chunk k covers rows [k * per, min(rows, (k + 1) * per)); {@code next} hands the chunks out,
     * {@code done} counts those finished. Published as a whole.
     */
    private record Call(long generation, RowRange body, int rows, int per, int slices, AtomicInteger next, AtomicInteger done,
                        AtomicReference<Throwable> failure) {
        Call(long generation, RowRange body, int rows, int per, int slices) {
            this(generation, body, rows, per, slices, new AtomicInteger(), new AtomicInteger(), new AtomicReference<>());
        }

        /**
         * Runs chunks until none is left; returns whether this thread finished the call's last chunk. A chunk's
         * failure is recorded before the chunk counts as done, so the caller sees it once all are done.
         */
        boolean runChunks() {
            boolean last = false;
            for (int k; (k = next.getAndIncrement()) < slices; ) {
                try {
                    body.run(k * per, Math.min(rows, (k + 1) * per));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                last = done.incrementAndGet() == slices;
            }
            return last;
        }
    }

    private volatile Call current = new Call(0, null, 0, 0, 0);
    private volatile Thread caller;
    private volatile boolean closed;

    public MatmulThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].thread.start();
        }
    }

    public int threads() { return threads; }

    /**
     * Splits [0, rows) into chunks aligned to {@code align} rows (about {@value #CHUNKS_PER_THREAD} per thread; see
     * {@link #chunkRows}),
     * and runs them on the caller and the workers, each taking the next chunk until none is left. The chunks are
     * the same for a given call whichever thread runs them (so results do not depend on the timing). Taken
     * dynamically rather than one static half per thread: with a static split the caller waited for the worker a third
     * of its matmul time in 2-thread decoding (JFR), the worker's core being shared with the JVM's own threads.
     */
    public void forRows(int rows, int align, RowRange body) { forRows(rows, align, align, body); }

    /** As {@link #forRows(int, int, RowRange)}, with no chunk (but the last) under {@code minRows} rows. */
    public void forRows(int rows, int align, int minRows, RowRange body) {
        if (workers.length == 0 || rows < 2 * Math.max(align, minRows)) {
            body.run(0, rows);
            return;
        }
        synchronized (callLock) {
            int per = chunkRows(rows, align, minRows, threads);
            int slices = (rows + per - 1) / per;
            this.caller = Thread.currentThread();
            Call c = new Call(current.generation() + 1, body, rows, per, slices);
            current = c;
            for (Worker w : workers) LockSupport.unpark(w.thread);
            c.runChunks(); // the caller works too
            int spins = 0;
            while (c.done().get() != slices) {
                if (spins++ < SPINS) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 100_000);
            }
            if (c.failure().get() != null) rethrow(c.failure().get());
        }
    }

    /**
     * Rows per chunk: about {@value #CHUNKS_PER_THREAD} chunks per thread, or up to twice as many where that shares
     * out more evenly. Taken in turn, the busiest thread runs ceil(chunks / threads) of them; 896 rows in 32-row
     * units at 2 threads gave 7 chunks of 128 rows, 512 rows for one thread against an even 448 (+14% on o_proj and
     * down_proj; qkv's 1152 rows +11%). Of the chunk sizes from the nominal one down to half of it, the one that
     * gives the busiest thread the fewest rows (the largest on a tie): 896 rows 14 chunks of 64, 1152 rows 12 of
     * 96, 9728 rows 8 as before. Never under {@code minRows} (rounded up to whole units) unless the nominal size is.
     * Depends only on rows, align, minRows and threads, so results do not depend on timing.
     */
    static int chunkRows(int rows, int align, int minRows, int threads) {
        int units = (rows + align - 1) / align;
        int nominal = Math.max(1, (units + threads * CHUNKS_PER_THREAD - 1) / (threads * CHUNKS_PER_THREAD));
        int floor = Math.max(Math.max(1, (nominal + 1) / 2), (minRows + align - 1) / align);
        int best = nominal;
        for (int per = nominal - 1; per >= floor; per--) {
            if (busiestRows(rows, per * align, threads) < busiestRows(rows, best * align, threads)) best = per;
        }
        return best * align;
    }

    /** Rows the busiest thread runs when chunks of {@code per} rows (the last one shorter) go round equal threads. */
    static int busiestRows(int rows, int per, int threads) {
        int chunks = (rows + per - 1) / per, last = rows - (chunks - 1) * per, most = 0;
        for (int j = 0; j < threads && j < chunks; j++) {
            int taken = (chunks - j + threads - 1) / threads; // chunks j, j + threads, ...
            most = Math.max(most, taken * per - ((chunks - 1) % threads == j ? per - last : 0));
        }
        return most;
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    private final class Worker implements Runnable {
        final Thread thread;

        Worker(int index) {
            this.thread = new Thread(this, "r1stream-matmul-" + index);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            int spins = 0;
            while (!closed) {
                Call c = current;
                if (c.generation() == seen) {
                    if (spins++ < SPINS) Thread.onSpinWait();
                    else LockSupport.park(this);
                    continue;
                }
                seen = c.generation();
                spins = 0;
                if (c.runChunks()) LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }
}
