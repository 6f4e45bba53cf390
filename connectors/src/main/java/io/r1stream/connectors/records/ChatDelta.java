package io.r1stream.connectors.records;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * A piece of an answer while it is generated, written to the deltas topic (JSON, snake_case) at once, not in the
 * checkpoint's transaction (at-least-once), keyed by {@code conversation_id} so one conversation's deltas stay in
 * order in one partition. The complete answer still goes to {@code results} exactly once.
 *
 * <pre>{"request_id":"r-1","conversation_id":"c-7","turn":2,"seq":0,"attempt":1796012345678,
 *  "reasoning_content":"Okay, the user","content":"","final":false}
 * {"request_id":"r-1","conversation_id":"c-7","turn":2,"seq":9,"attempt":1796012345678,
 *  "reasoning_content":"","content":" state.","final":true,"finish_reason":"stop"}</pre>
 *
 * <p>Assembling: per {@code request_id}, keep the deltas of the highest {@code attempt}, order them by {@code seq}
 * (0, 1, 2, ... without gaps within an attempt) and concatenate each field; a delta with {@code final = true} is
 * the last one of its attempt. After a failure a turn runs again with a higher attempt, from seq 0; deltas of a
 * lower attempt are stale. The text of the last attempt equals the result's (same seed, same text), but only the
 * {@code results} topic (read_committed) is authoritative: a delta may be repeated (at-least-once) and an attempt
 * may end without a final delta.
 *
 * @param requestId        {@code request_id}: the request being answered.
 * @param conversationId   {@code conversation_id}: the conversation, also the Kafka key.
 * @param turn             {@code turn}: 1-based user turn within the conversation.
 * @param seq              {@code seq}: 0-based position of this delta within its attempt.
 * @param attempt          {@code attempt}: this run of the turn, increasing: the epoch ms when the turn was submitted
 *                         to the engine; a turn re-run after a restore has a higher one.
 * @param reasoningContent {@code reasoning_content}: new reasoning text (the R1 split applied while streaming); "" if none.
 * @param content          {@code content}: new answer text; "" if none.
 * @param last             {@code final}: whether this is the attempt's last delta.
 * @param finishReason     {@code finish_reason}: on the final delta, why generation ended; otherwise omitted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatDelta(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("conversation_id") String conversationId,
        @JsonProperty("turn") int turn,
        @JsonProperty("seq") int seq,
        @JsonProperty("attempt") long attempt,
        @JsonProperty("reasoning_content") String reasoningContent,
        @JsonProperty("content") String content,
        @JsonProperty("final") boolean last,
        @JsonProperty("finish_reason") String finishReason) {

    public ChatDelta {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(conversationId, "conversationId");
        reasoningContent = reasoningContent == null ? "" : reasoningContent;
        content = content == null ? "" : content;
    }
}
