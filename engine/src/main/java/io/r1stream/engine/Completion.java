package io.r1stream.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/** The handle {@code submit} returns: the eventual result, and a way to cancel. */
public final class Completion {
    private final String requestId;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile Runnable onCancel;

    public Completion(String requestId) { this.requestId = requestId; }

    public String requestId() { return requestId; }

    /** Completes normally for every finish reason, errors included (see {@link GenerationResult#error()}). */
    public CompletableFuture<GenerationResult> result() { return result; }

    /** Asks the engine to stop this request at its next step; it then completes with finish reason CANCELLED. */
    public void cancel() {
        if (!cancelled.compareAndSet(false, true)) return;
        Runnable hook = onCancel;
        if (hook != null) hook.run();
    }

    /**
     * For an engine that is not stepped (a remote backend): what {@link #cancel} also does, at once (e.g. close
     * the HTTP exchange). Runs immediately when the request is already cancelled.
     */
    public void onCancel(Runnable hook) {
        onCancel = hook;
        if (cancelled.get()) hook.run();
    }

    public boolean isCancelled() { return cancelled.get(); }
}
