package io.r1stream.connectors.records;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Objects;

/**
 * One new user turn of a conversation, as read from the {@code prompts} topic (JSON, snake_case).
 *
 * <p>Instances come out of {@code PromptParser} fully validated and with every optional parameter
 * filled from {@code PromptLimits} defaults, so downstream code never sees a missing value. On the
 * wire, only {@code request_id}, {@code conversation_id} and {@code message} are required:
 *
 * <pre>{"request_id":"r-1","conversation_id":"c-42","message":"What is 7*6?","max_tokens":256}</pre>
 *
 * <p>Flink handles this record as a POJO (Flink 2.x record support; {@code stop} as a list type), so
 * it needs no Kryo.
 *
 * @param requestId      {@code request_id}: unique id of this request; results carry it back, and an
 *                       at-least-once consumer deduplicates by it. Required, non-blank.
 * @param conversationId {@code conversation_id}: the conversation this turn belongs to; the job keys
 *                       by it, keeps its history and KV cache, and runs its turns strictly in order.
 *                       Required, non-blank.
 * @param message        {@code message}: the new user turn, plain text. Required, non-blank, at most
 *                       {@code PromptLimits.maxMessageChars} code points.
 * @param system         {@code system}: optional system prompt, or {@code null} for none (DeepSeek
 *                       recommends none for R1). Only the first turn's system prompt is used by the
 *                       conversation; a blank one counts as absent.
 * @param maxTokens      {@code max_tokens}: most tokens to generate (reasoning included), in
 *                       [1, {@code PromptLimits.maxTokensLimit}].
 * @param temperature    {@code temperature}: sampling temperature in [0, 2]; 0 means greedy.
 * @param topP           {@code top_p}: nucleus sampling mass in (0, 1]; 1 disables it.
 * @param topK           {@code top_k}: keep only the k most likely tokens, {@code >= 0}; 0 disables it.
 * @param seed           {@code seed}: sampling seed. When absent it is derived from {@code request_id}
 *                       (see {@code PromptParser#defaultSeed}), so a request replayed after a failure
 *                       gives the same text.
 * @param stop           {@code stop}: stop strings (on the wire a single string or a list); generation
 *                       ends before the first one produced. Empty when absent. Never {@code null}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromptRequest(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("conversation_id") String conversationId,
        @JsonProperty("message") String message,
        @JsonProperty("system") String system,
        @JsonProperty("max_tokens") int maxTokens,
        @JsonProperty("temperature") double temperature,
        @JsonProperty("top_p") double topP,
        @JsonProperty("top_k") int topK,
        @JsonProperty("seed") long seed,
        @JsonProperty("stop") List<String> stop) {

    public PromptRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(message, "message");
        stop = stop == null ? List.of() : List.copyOf(stop);
    }
}
