package io.r1stream.operators.summarize;

import io.r1stream.engine.GenerationResult;

/** What a {@link DocumentSummarizer} reports as it goes; called from its executor's threads. */
public interface SummaryListener {
    /** A document was split into this many map chunks. */
    void chunksPlanned(int chunks);

    /** One map chunk has its summary. */
    void chunkSummarized();

    /** One engine request finished (map or reduce, any attempt). */
    void requestFinished(GenerationResult result);

    SummaryListener NONE = new SummaryListener() {
        @Override public void chunksPlanned(int chunks) {}
        @Override public void chunkSummarized() {}
        @Override public void requestFinished(GenerationResult result) {}
    };
}
