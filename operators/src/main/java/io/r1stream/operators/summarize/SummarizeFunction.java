package io.r1stream.operators.summarize;

import io.r1stream.connectors.documents.Document;
import io.r1stream.connectors.documents.DocumentSummary;
import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.GenerationResult;
import io.r1stream.operators.EngineFactory;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The summarization step of the job, for {@code AsyncDataStream.unorderedWait}: each document becomes engine
 * requests on the TaskManager's shared engine (so all documents in flight, of all subtasks, batch together) and
 * one {@link DocumentSummary}. Results are handed to Flink's {@link ResultFuture}, which emits them on the task
 * thread; the capacity of the async operator bounds documents in flight per subtask.
 *
 * <p>Metrics of each subtask (web UI, Prometheus): gauges {@value #DOCS_TOTAL}, {@value #DOCS_DONE},
 * {@value #CHUNKS_TOTAL}, {@value #CHUNKS_DONE}, {@value #IN_FLIGHT}, the engine's running and waiting requests;
 * counters {@value #DOCS_FAILED}, {@value #PROMPT_TOKENS}, {@value #GENERATION_TOKENS}.
 */
public final class SummarizeFunction extends RichAsyncFunction<Document, DocumentSummary> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SummarizeFunction.class);

    static final String DOCS_TOTAL = "r1stream_summarize_documents_total";
    static final String DOCS_DONE = "r1stream_summarize_documents_done";
    static final String DOCS_FAILED = "r1stream_summarize_documents_failed_total";
    static final String CHUNKS_TOTAL = "r1stream_summarize_chunks_total";
    static final String CHUNKS_DONE = "r1stream_summarize_chunks_done";
    static final String IN_FLIGHT = "r1stream_summarize_documents_in_flight";
    static final String PROMPT_TOKENS = "r1stream_prompt_tokens_total";
    static final String GENERATION_TOKENS = "r1stream_generation_tokens_total";

    private final EngineFactory engines;
    private final SummarizeOptions options;
    private final long expectedDocuments;

    private transient EngineFactory.Session session;
    private transient ExecutorService executor;
    private transient DocumentSummarizer summarizer;
    private transient Counts counts;

    /** @param expectedDocuments documents in the whole input when known (for the progress line), else -1 */
    public SummarizeFunction(EngineFactory engines, SummarizeOptions options, long expectedDocuments) {
        this.engines = engines;
        this.options = options;
        this.expectedDocuments = expectedDocuments;
    }

    @Override
    public void open(OpenContext context) {
        session = engines.open();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "r1stream-summarize-" + subtask);
            t.setDaemon(true);
            return t;
        });
        counts = new Counts(getRuntimeContext().getMetricGroup(), session.engine().metrics());
        summarizer = new DocumentSummarizer(session.engine(), session.codec(), options, executor, counts);
        SummaryProgress.shared().attach(expectedDocuments);
    }

    @Override
    public void asyncInvoke(Document doc, ResultFuture<DocumentSummary> result) {
        counts.started(doc);
        summarizer.summarize(doc).thenAccept(s -> {
            counts.finished(s);
            result.complete(List.of(s));
        });
    }

    @Override
    public void timeout(Document doc, ResultFuture<DocumentSummary> result) {
        DocumentSummary s = DocumentSummary.failed(doc.docId(), doc.source(), "timed out (--document-timeout); its "
                + "requests may still finish in the engine");
        counts.finished(s);
        result.complete(List.of(s));
    }

    @Override
    public void close() {
        if (counts != null) SummaryProgress.shared().detach();
        if (executor != null) executor.shutdownNow();
        if (session != null) session.close();
    }

    /** This subtask's figures (metrics) and the JVM-wide progress line, updated from the executor thread. */
    private static final class Counts implements SummaryListener {
        private final SummaryProgress progress = SummaryProgress.shared();
        final AtomicLong docsStarted = new AtomicLong();
        final AtomicLong docsDone = new AtomicLong();
        final AtomicLong chunksTotal = new AtomicLong();
        final AtomicLong chunksDone = new AtomicLong();
        final AtomicCounter docsFailed = new AtomicCounter();
        final AtomicCounter promptTokens = new AtomicCounter();
        final AtomicCounter generationTokens = new AtomicCounter();

        Counts(MetricGroup g, EngineMetrics engine) {
            g.gauge(DOCS_TOTAL, (Gauge<Long>) docsStarted::get);
            g.gauge(DOCS_DONE, (Gauge<Long>) docsDone::get);
            g.gauge(CHUNKS_TOTAL, (Gauge<Long>) chunksTotal::get);
            g.gauge(CHUNKS_DONE, (Gauge<Long>) chunksDone::get);
            g.gauge(IN_FLIGHT, (Gauge<Long>) () -> docsStarted.get() - docsDone.get());
            g.gauge("r1stream_num_requests_running", (Gauge<Long>) engine.running::get);
            g.gauge("r1stream_num_requests_waiting", (Gauge<Long>) engine.waiting::get);
            g.counter(DOCS_FAILED, docsFailed);
            g.counter(PROMPT_TOKENS, promptTokens);
            g.counter(GENERATION_TOKENS, generationTokens);
        }

        void started(Document doc) {
            docsStarted.incrementAndGet();
            progress.documentsStarted.incrementAndGet();
        }

        void finished(DocumentSummary s) {
            if (s.isError()) {
                docsFailed.inc();
                progress.documentsFailed.incrementAndGet();
                LOG.warn("document {} ({}) failed: {}", s.docId(), s.source(), s.error());
            }
            docsDone.incrementAndGet();
            progress.documentsDone.incrementAndGet();
        }

        @Override
        public void chunksPlanned(int chunks) {
            chunksTotal.addAndGet(chunks);
            progress.chunksTotal.addAndGet(chunks);
        }

        @Override
        public void chunkSummarized() {
            chunksDone.incrementAndGet();
            progress.chunksDone.incrementAndGet();
        }

        @Override
        public void requestFinished(GenerationResult r) {
            promptTokens.inc(r.promptTokens());
            generationTokens.inc(r.completionTokens());
            progress.generatedTokens.addAndGet(r.completionTokens());
        }
    }

    /** A Flink counter safe to update from threads other than the task thread. */
    private static final class AtomicCounter implements Counter {
        private final AtomicLong n = new AtomicLong();
        @Override public void inc() { n.incrementAndGet(); }
        @Override public void inc(long by) { n.addAndGet(by); }
        @Override public void dec() { n.decrementAndGet(); }
        @Override public void dec(long by) { n.addAndGet(-by); }
        @Override public long getCount() { return n.get(); }
    }
}
