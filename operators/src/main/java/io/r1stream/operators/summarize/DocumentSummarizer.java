package io.r1stream.operators.summarize;

import io.r1stream.connectors.documents.Document;
import io.r1stream.connectors.documents.DocumentSummary;
import io.r1stream.engine.Completion;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.operators.PromptCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Map-reduce summarization of one document on a shared engine: the text is cut into chunks
 * ({@link TextChunker}), every chunk is summarized (all submitted at once, so they batch with each other and
 * with other documents' chunks), then the chunk summaries are combined in groups that fit one chunk's budget,
 * round after round, until one summary is left. Never throws: a document that fails gives a
 * {@link DocumentSummary} with its error, and its other requests are cancelled.
 *
 * <p>Every request's seed is derived from the options' seed, the doc id, the round, the index and the attempt,
 * so a document's summary does not depend on what else runs or in which order. Tokenizing and prompt rendering
 * run on {@code executor}, never on the engine's thread.
 */
public final class DocumentSummarizer {
    private final InferenceEngine engine;
    private final PromptCodec codec;
    private final SummarizeOptions options;
    private final Executor executor;
    private final SummaryListener listener;
    private final TextChunker chunker;
    private final SummaryPrompts prompts;

    public DocumentSummarizer(InferenceEngine engine, PromptCodec codec, SummarizeOptions options, Executor executor,
                              SummaryListener listener) {
        int need = options.maxChunkTokens() + SummaryPrompts.OVERHEAD_TOKENS + options.maxGeneratedTokens();
        if (need > codec.contextLength()) {
            throw new IllegalArgumentException("max chunk tokens " + options.maxChunkTokens() + " + prompt overhead "
                    + SummaryPrompts.OVERHEAD_TOKENS + " + generated tokens " + options.maxGeneratedTokens() + " = " + need
                    + " exceed the model's context of " + codec.contextLength() + " positions; lower --max-chunk-tokens");
        }
        this.engine = engine;
        this.codec = codec;
        this.options = options;
        this.executor = executor;
        this.listener = listener;
        this.chunker = new TextChunker(t -> codec.tokenize(t).length, options.maxChunkTokens(), options.overlapTokens());
        this.prompts = new SummaryPrompts(codec, options.thinking());
    }

    /** The document's summary line, or its error line; the future never completes exceptionally. */
    public CompletableFuture<DocumentSummary> summarize(Document doc) {
        if (doc.isError()) return CompletableFuture.completedFuture(DocumentSummary.failed(doc.docId(), doc.source(), doc.error()));
        long t0 = System.nanoTime();
        Tally tally = new Tally();
        return CompletableFuture.supplyAsync(() -> chunker.split(doc.text()), executor)
                .thenCompose(chunks -> {
                    if (chunks.isEmpty()) throw new SummaryFailure("empty document (no text after whitespace)");
                    listener.chunksPlanned(chunks.size());
                    int n = chunks.size();
                    List<CompletableFuture<String>> maps = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        String instruction = SummaryPrompts.mapInstruction(i + 1, n, chunks.get(i).text());
                        maps.add(generate(doc, 0, i, prompts.render(instruction), tally, "chunk " + (i + 1) + " of " + n, 1)
                                .thenApply(s -> { listener.chunkSummarized(); return s; }));
                    }
                    return allOf(maps).thenComposeAsync(summaries -> reduce(doc, 1, summaries, tally), executor)
                            .thenApply(r -> DocumentSummary.of(doc.docId(), doc.source(), r.text, n, r.levels,
                                    tally.promptTokens.get(), tally.completionTokens.get(), (System.nanoTime() - t0) / 1e6));
                })
                .exceptionally(e -> {
                    tally.cancelAll();
                    return DocumentSummary.failed(doc.docId(), doc.source(), messageOf(e));
                });
    }

    private record Reduced(String text, int levels) {}

    private CompletableFuture<Reduced> reduce(Document doc, int level, List<String> summaries, Tally tally) {
        if (summaries.size() == 1) return CompletableFuture.completedFuture(new Reduced(summaries.get(0), level - 1));
        List<List<String>> groups = group(summaries);
        List<CompletableFuture<String>> combined = new ArrayList<>(groups.size());
        int first = 1;
        for (int g = 0; g < groups.size(); g++) {
            String instruction = SummaryPrompts.reduceInstruction(groups.get(g), first);
            first += groups.get(g).size();
            combined.add(generate(doc, level, g, prompts.render(instruction), tally,
                    "combining summaries (round " + level + ", group " + (g + 1) + " of " + groups.size() + ")", 1));
        }
        return allOf(combined).thenComposeAsync(next -> reduce(doc, level + 1, next, tally), executor);
    }

    /** Consecutive summaries in groups of at most maxChunkTokens tokens, at least two per group (so rounds shrink). */
    List<List<String>> group(List<String> summaries) {
        List<List<String>> groups = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < summaries.size(); i++) {
            String s = summaries.get(i);
            int t = codec.tokenize(SummaryPrompts.partLabel(i + 1) + s).length;
            if (current.size() >= 2 && tokens + t > options.maxChunkTokens()) {
                groups.add(current);
                current = new ArrayList<>();
                tokens = 0;
            }
            current.add(s);
            tokens += t;
        }
        if (current.size() == 1 && !groups.isEmpty()) groups.get(groups.size() - 1).add(current.get(0));
        else groups.add(current);
        return groups;
    }

    private CompletableFuture<String> generate(Document doc, int level, int index, int[] prompt, Tally tally, String what, int attempt) {
        SamplingParams sampling = new SamplingParams(options.temperature(), 0, options.topP(),
                requestSeed(options.seed(), doc.docId(), level, index, attempt), options.maxGeneratedTokens(), List.of());
        String id = doc.docId() + "#" + level + "." + index + "." + attempt;
        Completion c = engine.submit(new GenerationRequest(id, null, prompt, sampling), TokenListener.NONE);
        tally.track(c);
        return c.result().thenComposeAsync(r -> {
            tally.promptTokens.addAndGet(r.promptTokens());
            tally.completionTokens.addAndGet(r.completionTokens());
            listener.requestFinished(r);
            String failure = r.finishReason() == FinishReason.ERROR ? r.error()
                    : r.finishReason() == FinishReason.CANCELLED ? "cancelled" : null;
            String answer = failure == null ? prompts.answerOf(r.text()) : null;
            if (failure == null && answer == null) {
                failure = "the reasoning did not end within " + options.maxGeneratedTokens() + " generated tokens; raise --max-reasoning-tokens";
            }
            if (failure == null) return CompletableFuture.completedFuture(answer);
            if (attempt < options.maxAttempts() && !tally.cancelled.get()) {
                return generate(doc, level, index, prompt, tally, what, attempt + 1);
            }
            throw new SummaryFailure(what + " failed after " + attempt + " attempt(s): " + failure);
        }, executor);
    }

    /** A request's seed: a hash of the base seed, the doc id, the round, the index and the attempt. */
    static long requestSeed(long seed, String docId, int level, int index, int attempt) {
        long h = seed;
        h = h * 0x9E3779B97F4A7C15L + docId.hashCode();
        h = h * 0x9E3779B97F4A7C15L + level;
        h = h * 0x9E3779B97F4A7C15L + index;
        h = h * 0x9E3779B97F4A7C15L + attempt;
        h ^= h >>> 33; // splitmix64 finalizer
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    private static CompletableFuture<List<String>> allOf(List<CompletableFuture<String>> fs) {
        return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new))
                .thenApply(v -> fs.stream().map(CompletableFuture::join).toList());
    }

    static String messageOf(Throwable e) {
        Throwable t = e;
        while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        return t instanceof SummaryFailure ? t.getMessage() : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** A document-level failure whose message is the error line. */
    static final class SummaryFailure extends RuntimeException {
        SummaryFailure(String message) { super(message, null, false, false); }
    }

    /** One document's token counts and requests in flight. */
    private static final class Tally {
        final AtomicLong promptTokens = new AtomicLong();
        final AtomicLong completionTokens = new AtomicLong();
        final AtomicBoolean cancelled = new AtomicBoolean();
        private final List<Completion> completions = new ArrayList<>();

        synchronized void track(Completion c) {
            if (cancelled.get()) c.cancel();
            completions.add(c);
        }

        synchronized void cancelAll() {
            cancelled.set(true);
            completions.forEach(Completion::cancel);
        }
    }
}
