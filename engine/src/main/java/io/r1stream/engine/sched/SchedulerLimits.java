package io.r1stream.engine.sched;

/**
 * Per-step limits of the continuous-batching loop.
 *
 * @param maxRunning       sequences batched together at most (1 = no batching, one request at a time)
 * @param maxTokensPerStep tokens (decode + prefill chunks) in one forward step: bounds a step's latency,
 *                         so a long prompt is prefilled in chunks between other sequences' decode steps
 */
public record SchedulerLimits(int maxRunning, int maxTokensPerStep) {
    public SchedulerLimits {
        if (maxRunning < 1) throw new IllegalArgumentException("max-running must be >= 1, got " + maxRunning);
        if (maxTokensPerStep < maxRunning) {
            throw new IllegalArgumentException("max-tokens-per-step (" + maxTokensPerStep
                    + ") must be >= max-running (" + maxRunning + ") so every running sequence can decode each step");
        }
    }
}
