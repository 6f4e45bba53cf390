package io.r1stream.operators;

import io.r1stream.connectors.records.PromptRequest;

/**
 * A user turn accepted by the operator but not answered yet (in flight or waiting behind one).
 *
 * @param request         the prompt
 * @param arrivalMillis   wall-clock ms when it reached the operator: latencies count from here
 * @param sourceTimestamp the prompt record's Kafka timestamp (epoch ms), or -1 when it had none: the
 *                        result's {@code latency_ms.lag} is {@code arrivalMillis - sourceTimestamp}
 */
public record PendingTurn(PromptRequest request, long arrivalMillis, long sourceTimestamp) {

    public PendingTurn(PromptRequest request, long arrivalMillis) { this(request, arrivalMillis, -1); }

    /** ms between the record's production and its arrival here (0 without a timestamp). */
    public double lagMillis() { return sourceTimestamp < 0 ? 0 : Math.max(0, arrivalMillis - sourceTimestamp); }
}
