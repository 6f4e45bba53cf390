package io.r1stream.engine.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one step's token budget among running sequences, vLLM-v1 style: no prefill/decode modes, every
 * sequence catches its computed tokens up to its known tokens. Decoding sequences (1 pending token) go
 * first so ongoing streams never stall; prefills then take what is left, in arrival order, chunked.
 */
public final class StepPlanner {
    /** One sequence's share: this many of its pending tokens run this step. */
    public record Share<W extends ScheduledWork>(W work, int tokens) {}

    private final SchedulerLimits limits;

    public StepPlanner(SchedulerLimits limits) { this.limits = limits; }

    public <W extends ScheduledWork> List<Share<W>> plan(List<W> running) {
        List<Share<W>> out = new ArrayList<>();
        int budget = limits.maxTokensPerStep();
        for (W w : running) {
            if (w.pendingTokens() == 1 && budget > 0) {
                out.add(new Share<>(w, 1));
                budget--;
            }
        }
        for (W w : running) {
            int pending = w.pendingTokens();
            if (pending > 1 && budget > 0) {
                int n = Math.min(pending, budget);
                out.add(new Share<>(w, n));
                budget -= n;
            }
        }
        return out;
    }
}
