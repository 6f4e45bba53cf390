package io.r1stream.connectors.records;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Objects;

/**
 * The answer to one {@link PromptRequest}, written to the {@code results} topic (JSON, snake_case),
 * keyed by {@code conversation_id} so one conversation's answers stay in order in one partition.
 *
 * <pre>{"request_id":"r-1","conversation_id":"c-42","turn":1,"content":"42","reasoning_content":"7*6=42",
 *  "finish_reason":"stop","usage":{"prompt_tokens":12,"completion_tokens":9,"cached_tokens":0},
 *  "latency_ms":{"queue":0.4,"ttft":35.2,"e2e":120.9},"kv_source":"none"}</pre>
 *
 * @param requestId        {@code request_id}: the request this answers.
 * @param conversationId   {@code conversation_id}: the conversation, also the Kafka key.
 * @param turn             {@code turn}: 1-based number of this user turn within the conversation.
 * @param content          {@code content}: the answer, with the reasoning removed; empty, not null,
 *                         when nothing was produced.
 * @param reasoningContent {@code reasoning_content}: the text inside {@code <think>...</think>}, or
 *                         {@code null} (omitted in JSON) when the model produced none.
 * @param finishReason     {@code finish_reason}: why generation ended.
 * @param usage            {@code usage}: token counts.
 * @param latencyMs        {@code latency_ms}: latency figures of this request, in milliseconds.
 * @param kvSource         {@code kv_source}: where the reused KV cache prefix came from.
 * @param error            {@code error}: what failed, when {@code finish_reason} is {@code error} (a turn
 *                         timeout, an engine failure); omitted otherwise.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatResult(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("conversation_id") String conversationId,
        @JsonProperty("turn") int turn,
        @JsonProperty("content") String content,
        @JsonProperty("reasoning_content") String reasoningContent,
        @JsonProperty("finish_reason") FinishReason finishReason,
        @JsonProperty("usage") Usage usage,
        @JsonProperty("latency_ms") Latency latencyMs,
        @JsonProperty("kv_source") KvSource kvSource,
        @JsonProperty("error") String error) {

    public ChatResult {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(latencyMs, "latencyMs");
        Objects.requireNonNull(kvSource, "kvSource");
        content = content == null ? "" : content;
    }

    public ChatResult(String requestId, String conversationId, int turn, String content, String reasoningContent,
                      FinishReason finishReason, Usage usage, Latency latencyMs, KvSource kvSource) {
        this(requestId, conversationId, turn, content, reasoningContent, finishReason, usage, latencyMs, kvSource, null);
    }

    /**
     * Token counts of one request.
     *
     * @param promptTokens     {@code prompt_tokens}: tokens of the rendered conversation fed to the model.
     * @param completionTokens {@code completion_tokens}: tokens generated, reasoning included.
     * @param cachedTokens     {@code cached_tokens}: prompt tokens whose KV was reused instead of
     *                         prefilled ({@code <= prompt_tokens}).
     */
    public record Usage(
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("completion_tokens") int completionTokens,
            @JsonProperty("cached_tokens") int cachedTokens) {}

    /**
     * Latency of one request, all in milliseconds.
     *
     * @param queue {@code queue}: from arrival at the operator to the first scheduled forward step.
     * @param ttft  {@code ttft}: time to first token, from arrival at the operator.
     * @param e2e   {@code e2e}: from arrival at the operator to the last token.
     * @param lag   {@code lag}: from the prompt record's Kafka timestamp to its arrival at the operator
     *              (consumer lag and backpressure); what a producer waits is {@code lag + e2e}. 0 when the
     *              record had no timestamp.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Latency(
            @JsonProperty("queue") double queue,
            @JsonProperty("ttft") double ttft,
            @JsonProperty("e2e") double e2e,
            @JsonProperty("lag") double lag) {

        public Latency(double queue, double ttft, double e2e) { this(queue, ttft, e2e, 0); }
    }

    /** Why generation ended; JSON values are the lower-case names. */
    public enum FinishReason {
        /** the model emitted end-of-sequence or a stop string. */
        STOP,
        /** {@code max_tokens} (or the context length) was reached. */
        LENGTH,
        /** the request failed; {@code content} may be partial. */
        ERROR,
        /** the request was cancelled before it finished. */
        CANCELLED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @JsonCreator
        public static FinishReason fromWireName(String value) {
            return WireNames.parse(FinishReason.class, value);
        }
    }

    /** Where the reused KV cache prefix came from, hottest tier first; JSON values are lower case. */
    public enum KvSource {
        /** the engine's own (device) memory. */
        ENGINE,
        /** the host-memory tier. */
        HOST,
        /** Flink keyed state (after a restart, rescale or eviction). */
        STATE,
        /** nothing reused: the whole prompt was prefilled. */
        NONE;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @JsonCreator
        public static KvSource fromWireName(String value) {
            return WireNames.parse(KvSource.class, value);
        }
    }
}
