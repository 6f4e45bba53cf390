package io.r1stream.serve;

import io.r1stream.engine.sample.SamplingParams;

/**
 * One validated {@code /v1/chat/completions} or {@code /v1/completions} request, ready for the engine.
 *
 * @param promptTokens the rendered chat (R1 template, generation prompt) or the raw completion prompt
 * @param promptText   the completion prompt as sent (for {@code echo}); null for chat
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with {@code usage}
 */
record ApiRequest(Kind kind, String requestId, String model, int[] promptTokens, String promptText, SamplingParams sampling,
                  boolean stream, boolean includeUsage, boolean echo) {

    enum Kind { CHAT, COMPLETION }
}
