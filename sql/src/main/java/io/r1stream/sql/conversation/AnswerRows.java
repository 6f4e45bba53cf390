package io.r1stream.sql.conversation;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.RecordJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.types.Row;

import java.util.List;

/**
 * The rows of a conversation view: one per answered turn, and one per turn that was refused (a bad row or a
 * too-long message), with {@code finish_reason = 'error'} and the reason in {@code error}.
 *
 * <table>
 *   <caption>Columns</caption>
 *   <tr><th>column</th><th>type</th><th>value</th></tr>
 *   <tr><td>request_id, conversation_id</td><td>STRING</td><td>of the prompt row (null in an error row when the row had none)</td></tr>
 *   <tr><td>turn</td><td>INT</td><td>1-based user turn within the conversation; null in error rows</td></tr>
 *   <tr><td>content, reasoning_content</td><td>STRING</td><td>the answer and the reasoning (null when none)</td></tr>
 *   <tr><td>finish_reason</td><td>STRING</td><td>stop, length, cancelled or error</td></tr>
 *   <tr><td>prompt_tokens, completion_tokens, cached_tokens</td><td>INT</td><td>token counts; cached = prefix KV reused</td></tr>
 *   <tr><td>ttft_ms, e2e_ms</td><td>DOUBLE</td><td>from arrival at the operator to the first / last token, ms</td></tr>
 *   <tr><td>kv_source</td><td>STRING</td><td>engine, host, state or none</td></tr>
 *   <tr><td>error</td><td>STRING</td><td>null, or error type and reason</td></tr>
 * </table>
 */
public final class AnswerRows {
    private AnswerRows() {}

    public static final List<String> COLUMNS = List.of("request_id", "conversation_id", "turn", "content", "reasoning_content",
            "finish_reason", "prompt_tokens", "completion_tokens", "cached_tokens", "ttft_ms", "e2e_ms", "kv_source", "error");

    public static final TypeInformation<Row> TYPE = Types.ROW_NAMED(COLUMNS.toArray(String[]::new),
            Types.STRING, Types.STRING, Types.INT, Types.STRING, Types.STRING, Types.STRING, Types.INT, Types.INT, Types.INT,
            Types.DOUBLE, Types.DOUBLE, Types.STRING, Types.STRING);

    static Row answer(ChatResult r) {
        return Row.of(r.requestId(), r.conversationId(), r.turn(), r.content(), r.reasoningContent(), r.finishReason().wireName(),
                r.usage().promptTokens(), r.usage().completionTokens(), r.usage().cachedTokens(), r.latencyMs().ttft(),
                r.latencyMs().e2e(), r.kvSource().wireName(), null);
    }

    static Row refused(DeadLetter d) {
        String requestId = null, conversationId = null;
        if (!d.rawBase64() && d.raw() != null) { // the ids of the refused prompt, when its JSON has them
            try {
                JsonNode raw = RecordJson.mapper().readTree(d.raw());
                requestId = raw.path("request_id").isTextual() ? raw.get("request_id").asText() : null;
                conversationId = raw.path("conversation_id").isTextual() ? raw.get("conversation_id").asText() : null;
            } catch (Exception notJson) {
                // ids stay null; the error says what was wrong
            }
        }
        return Row.of(requestId, conversationId, null, null, null, "error", null, null, null, null, null, null,
                d.errorType().wireName() + ": " + d.error());
    }
}
