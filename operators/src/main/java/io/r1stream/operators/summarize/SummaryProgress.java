package io.r1stream.operators.summarize;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Documents and chunks done / total of the summarization subtasks in this JVM, shown as one line: rewritten in
 * place ({@code \r}) every second on an interactive terminal, logged every 10 s otherwise, and logged once more
 * when the last subtask closes. The per-subtask figures are Flink metrics as well ({@link SummarizeFunction}).
 * Totals grow while documents are read and split; documents expected is known up front for folders and JSONL.
 */
public final class SummaryProgress {
    private static final Logger LOG = LoggerFactory.getLogger(SummaryProgress.class);
    private static final SummaryProgress SHARED = new SummaryProgress();

    final AtomicLong expectedDocuments = new AtomicLong(-1);
    final AtomicLong documentsStarted = new AtomicLong();
    final AtomicLong documentsDone = new AtomicLong();
    final AtomicLong documentsFailed = new AtomicLong();
    final AtomicLong chunksTotal = new AtomicLong();
    final AtomicLong chunksDone = new AtomicLong();
    final AtomicLong generatedTokens = new AtomicLong();
    private int users;
    private long startNanos;
    private Thread printer;

    private SummaryProgress() {}

    /** The JVM-wide progress. */
    public static SummaryProgress shared() { return SHARED; }

    synchronized void attach(long expected) {
        if (users++ == 0) {
            reset();
            startNanos = System.nanoTime();
            boolean terminal = System.console() != null;
            printer = new Thread(() -> print(terminal), "r1stream-summarize-progress");
            printer.setDaemon(true);
            printer.start();
        }
        if (expected > expectedDocuments.get()) expectedDocuments.set(expected);
    }

    synchronized void detach() {
        if (--users > 0) return;
        printer.interrupt();
        try {
            printer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("summarize finished: {}", line());
    }

    private void reset() {
        expectedDocuments.set(-1);
        documentsStarted.set(0);
        documentsDone.set(0);
        documentsFailed.set(0);
        chunksTotal.set(0);
        chunksDone.set(0);
        generatedTokens.set(0);
    }

    private void print(boolean terminal) {
        String last = "";
        long lastLog = 0;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                break;
            }
            String l = line();
            if (terminal) {
                System.err.print("\r" + l + "   ");
                System.err.flush();
            } else if (!l.equals(last) && System.nanoTime() - lastLog > 10_000_000_000L) {
                LOG.info("summarize: {}", l);
                lastLog = System.nanoTime();
            }
            last = l;
        }
        if (terminal) System.err.println("\r" + line() + "   ");
    }

    /** {@code documents 12/40 (1 failed), chunks 80/131, 5.2 docs/min, 31.0 tokens/s, 93 s}. */
    public String line() {
        long expected = expectedDocuments.get();
        long started = documentsStarted.get();
        double s = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        return String.format("documents %d/%s (%d failed), chunks %d/%d, %.1f docs/min, %.1f tokens/s, %.0f s",
                documentsDone.get(), expected >= 0 ? Long.toString(Math.max(expected, started)) : started + "+",
                documentsFailed.get(), chunksDone.get(), chunksTotal.get(), documentsDone.get() * 60 / s,
                generatedTokens.get() / s, s);
    }

    public long documentsDone() { return documentsDone.get(); }
    public long documentsFailed() { return documentsFailed.get(); }
    public long chunksDone() { return chunksDone.get(); }
    public long chunksTotal() { return chunksTotal.get(); }
}
