package io.r1stream.operators;

import io.r1stream.connectors.records.PromptRequest;

/**
 * A user turn accepted by the operator but not answered yet (in flight or waiting behind one).
 *
 * @param request       the prompt
 * @param arrivalMillis wall-clock ms when it reached the operator: latencies count from here
 */
public record PendingTurn(PromptRequest request, long arrivalMillis) {}
