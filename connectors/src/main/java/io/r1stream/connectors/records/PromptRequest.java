package io.r1stream.connectors.records;

import com.fasterxml.jackson.annotation.JsonIgnore;
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
 * <p>A <em>completion</em> request carries {@code prompt} instead of {@code message}: the text is continued as
 * it is (no chat template, no conversation history, special tokens in it count), as {@code /v1/completions}
 * does. Its {@code conversation_id} is optional (the request id stands in); when given, the completion runs in
 * that conversation's order but neither reads nor changes its history.
 *
 * <pre>{"request_id":"r-2","prompt":"def fib(n):","max_tokens":64,"echo":true}</pre>
 *
 * <p>Flink handles this record as a POJO (Flink 2.x record support; {@code stop} as a list type), so
 * it needs no Kryo.
 *
 * @param requestId      {@code request_id}: unique id of this request; results carry it back, and an
 *                       at-least-once consumer deduplicates by it. Required, non-blank.
 * @param conversationId {@code conversation_id}: the conversation this turn belongs to; the job keys
 *                       by it, keeps its history and KV cache, and runs its turns strictly in order.
 *                       Required, non-blank.
 * @param message        {@code message}: the new user turn, plain text. Required for a chat turn, non-blank,
 *                       at most {@code PromptLimits.maxMessageChars} code points; {@code null} for a completion.
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
 * @param prompt         {@code prompt}: the text to continue, for a completion request; {@code null} for a chat
 *                       turn. Exactly one of {@code message} and {@code prompt} is set.
 * @param echo           {@code echo}: a completion's result content starts with the prompt (as OpenAI's
 *                       {@code echo}); false for chat turns.
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
        @JsonProperty("stop") List<String> stop,
        @JsonProperty("prompt") String prompt,
        @JsonProperty("echo") @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean echo) {

    public PromptRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(conversationId, "conversationId");
        if ((message == null) == (prompt == null)) {
            throw new IllegalArgumentException("request " + requestId + ": exactly one of message (chat) and prompt "
                    + "(completion) must be set");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** A chat turn. */
    public PromptRequest(String requestId, String conversationId, String message, String system, int maxTokens,
                         double temperature, double topP, int topK, long seed, List<String> stop) {
        this(requestId, conversationId, message, system, maxTokens, temperature, topP, topK, seed, stop, null, false);
    }

    /** True for a completion request ({@code prompt}), false for a chat turn ({@code message}). */
    @JsonIgnore
    public boolean isCompletion() { return prompt != null; }
}
