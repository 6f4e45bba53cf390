package io.r1stream.engine;

import java.io.Serializable;

/**
 * Latency of one request, all in milliseconds.
 *
 * @param queueMs   submit -> first scheduled step
 * @param ttftMs    submit -> first generated token (includes queue time, as vLLM counts it)
 * @param meanItlMs mean gap between consecutive generated tokens
 * @param e2eMs     submit -> finished
 */
public record RequestTiming(double queueMs, double ttftMs, double meanItlMs, double e2eMs) implements Serializable {}
