package io.r1stream.engine.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads a model's matmuls split their output rows across: the calling thread plus {@code threads - 1}
 * persistent workers with a static split (slice k of every call goes to worker k), so a call costs a wake-up
 * and one small record, no fork-join tasks. A fork-join region per matmul (the former design) spent much of the second thread on
 * hand-offs in the batched path. Workers spin briefly after a call (the next matmul of a step follows within
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
    private final AtomicInteger pending = new AtomicInteger();
    private final Object callLock = new Object();
    /** One call: slice k covers rows [k * per, min(rows, (k + 1) * per)). Immutable, published as a whole. */
    private record Call(long generation, RowRange body, int rows, int per, int slices) {}

    private volatile Call current = new Call(0, null, 0, 0, 0);
    private volatile Thread caller;
    private volatile Throwable failure;
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

    /** Splits [0, rows) into at most {@code threads} slices aligned to {@code align} rows and runs them. */
    public void forRows(int rows, int align, RowRange body) {
        if (workers.length == 0 || rows < 2 * align) {
            body.run(0, rows);
            return;
        }
        synchronized (callLock) {
            int slices = Math.min(threads, rows / align);
            int per = ((rows + slices - 1) / slices + align - 1) / align * align;
            slices = (rows + per - 1) / per;
            this.failure = null;
            this.caller = Thread.currentThread();
            pending.set(slices - 1);
            current = new Call(current.generation() + 1, body, rows, per, slices);
            for (int w = 0; w < slices - 1; w++) LockSupport.unpark(workers[w].thread);
            Throwable mine = null;
            try {
                body.run(0, Math.min(rows, per)); // the caller works too
            } catch (Throwable t) {
                mine = t;
            }
            int spins = 0;
            while (pending.get() != 0) {
                if (spins++ < SPINS) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 100_000);
            }
            if (mine != null) rethrow(mine);
            if (failure != null) rethrow(failure);
        }
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    private final class Worker implements Runnable {
        final int slice;
        final Thread thread;

        Worker(int slice) {
            this.slice = slice;
            this.thread = new Thread(this, "r1stream-matmul-" + slice);
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
                if (slice < c.slices()) {
                    int from = slice * c.per(), to = Math.min(c.rows(), from + c.per());
                    try {
                        c.body().run(from, to);
                    } catch (Throwable t) {
                        failure = t;
                    }
                    if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }
}
