package io.r1stream.engine;

import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.sample.Sampler;
import io.r1stream.engine.sample.StopCondition;
import io.r1stream.engine.sched.ScheduledWork;

import java.util.Arrays;

/** A request inside the engine loop: its tokens, its KV, its sampler and its clock. Loop thread only. */
final class ActiveRequest implements ScheduledWork {
    final GenerationRequest request;
    final Completion completion;
    final TokenListener listener;
    final Sampler sampler;
    final StopCondition stop;
    final Detokenizer detokenizer;
    final StringBuilder text = new StringBuilder();
    int streamed;           // chars of text handed to the listener; the rest is held back (may begin a stop string)
    KvSequence kv;
    private int[] tokens;   // prompt then generated, the sequence the KV must cover; capacity doubles
    private int length;     // tokens in use
    int generated;
    int cachedTokens;
    KvSource kvSource = KvSource.NONE;
    boolean admitted;       // KV looked up once; a preempted request recomputes instead

    final long submitNanos;
    long firstScheduledNanos, firstTokenNanos, lastTokenNanos;

    ActiveRequest(GenerationRequest request, Completion completion, TokenListener listener, StopCondition stop,
                  Detokenizer detokenizer) {
        this.request = request;
        this.completion = completion;
        this.listener = listener;
        this.sampler = new Sampler(request.sampling());
        this.stop = stop;
        this.detokenizer = detokenizer;
        this.tokens = java.util.Arrays.copyOf(request.promptTokens(), request.promptTokens().length + 64);
        this.length = request.promptTokens().length;
        this.submitNanos = System.nanoTime();
    }

    @Override
    public int pendingTokens() { return length - (kv == null ? 0 : kv.length()); }

    int length() { return length; }

    /** Token ids at positions [from, to). */
    int[] tokens(int from, int to) { return Arrays.copyOfRange(tokens, from, to); }

    void append(int token) {
        if (length == tokens.length) tokens = Arrays.copyOf(tokens, 2 * length);
        tokens[length++] = token;
        generated++;
    }

    /** The last generated token id, or -1 before the first. */
    int lastToken() { return generated == 0 ? -1 : tokens[length - 1]; }

    int[] outputTokens() {
        return Arrays.copyOfRange(tokens, request.promptTokens().length, length);
    }

    RequestTiming timing(long endNanos) {
        double queue = ms(firstScheduledNanos == 0 ? endNanos : firstScheduledNanos, submitNanos);
        double ttft = firstTokenNanos == 0 ? ms(endNanos, submitNanos) : ms(firstTokenNanos, submitNanos);
        double itl = generated > 1 ? ms(lastTokenNanos, firstTokenNanos) / (generated - 1) : 0;
        return new RequestTiming(queue, ttft, itl, ms(endNanos, submitNanos));
    }

    private static double ms(long a, long b) { return (a - b) / 1e6; }
}
