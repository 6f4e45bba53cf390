package io.r1stream.connectors.records;

import com.fasterxml.jackson.databind.JsonNode;

import io.r1stream.connectors.records.ChatResult.FinishReason;
import io.r1stream.connectors.records.ChatResult.KvSource;
import io.r1stream.connectors.records.DeadLetter.ErrorType;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** JSON round trips, with the snake_case wire names spelled out literally. */
class RecordJsonTest {

    private static JsonNode tree(Object value) throws Exception {
        return RecordJson.mapper().readTree(RecordJson.toBytes(value));
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void promptRequestRoundTrip() throws Exception {
        PromptRequest request = new PromptRequest("r-1", "c-1", "Hello", "Be brief.", 128, 0.6, 0.95, 40, 7L,
                List.of("</s>", "User:"));
        JsonNode json = tree(request);
        assertThat(names(json)).containsExactly("request_id", "conversation_id", "message", "system", "max_tokens",
                "temperature", "top_p", "top_k", "seed", "stop");
        assertThat(json.get("max_tokens").intValue()).isEqualTo(128);
        assertThat(json.get("stop").get(1).textValue()).isEqualTo("User:");
        assertThat(RecordJson.fromBytes(RecordJson.toBytes(request), PromptRequest.class)).isEqualTo(request);
    }

    @Test
    void promptRequestOmitsAbsentSystem() throws Exception {
        PromptRequest request = new PromptRequest("r-1", "c-1", "Hi", null, 1, 0, 1, 0, 0L, null);
        assertThat(names(tree(request))).doesNotContain("system");
        assertThat(request.stop()).isEmpty();
    }

    @Test
    void chatResultRoundTrip() throws Exception {
        ChatResult result = new ChatResult("r-1", "c-1", 2, "42", "7*6 is 42", FinishReason.STOP,
                new ChatResult.Usage(30, 12, 20), new ChatResult.Latency(0.5, 35.25, 120.0), KvSource.ENGINE);
        JsonNode json = tree(result);
        assertThat(names(json)).containsExactly("request_id", "conversation_id", "turn", "content",
                "reasoning_content", "finish_reason", "usage", "latency_ms", "kv_source");
        assertThat(names(json.get("usage"))).containsExactly("prompt_tokens", "completion_tokens", "cached_tokens");
        assertThat(names(json.get("latency_ms"))).containsExactly("queue", "ttft", "e2e", "lag");
        assertThat(json.get("finish_reason").textValue()).isEqualTo("stop");
        assertThat(json.get("kv_source").textValue()).isEqualTo("engine");
        assertThat(json.get("latency_ms").get("ttft").doubleValue()).isEqualTo(35.25);
        assertThat(RecordJson.fromBytes(RecordJson.toBytes(result), ChatResult.class)).isEqualTo(result);
    }

    @Test
    void anErrorResultSaysWhatFailed() throws Exception {
        ChatResult result = new ChatResult("r-1", "c-1", 1, "", null, FinishReason.ERROR, new ChatResult.Usage(3, 0, 0),
                new ChatResult.Latency(0, 0, 0, 12.5), KvSource.NONE, "turn timed out");
        JsonNode json = tree(result);
        assertThat(json.get("error").textValue()).isEqualTo("turn timed out");
        assertThat(json.get("latency_ms").get("lag").doubleValue()).isEqualTo(12.5);
        assertThat(RecordJson.fromBytes(RecordJson.toBytes(result), ChatResult.class)).isEqualTo(result);
        assertThat(names(tree(new ChatResult("r", "c", 1, "x", null, FinishReason.STOP, new ChatResult.Usage(1, 1, 0),
                new ChatResult.Latency(1, 1, 1), KvSource.NONE)))).doesNotContain("error");
    }

    @Test
    void enumWireNamesAreLowerCase() {
        assertThat(RecordJson.toJson(FinishReason.CANCELLED)).isEqualTo("\"cancelled\"");
        assertThat(RecordJson.toJson(FinishReason.LENGTH)).isEqualTo("\"length\"");
        assertThat(RecordJson.toJson(FinishReason.ERROR)).isEqualTo("\"error\"");
        assertThat(RecordJson.toJson(KvSource.HOST)).isEqualTo("\"host\"");
        assertThat(RecordJson.toJson(KvSource.STATE)).isEqualTo("\"state\"");
        assertThat(RecordJson.toJson(KvSource.NONE)).isEqualTo("\"none\"");
        assertThat(RecordJson.toJson(ErrorType.MALFORMED_JSON)).isEqualTo("\"malformed_json\"");
        assertThat(RecordJson.fromJson("\"length\"", FinishReason.class)).isEqualTo(FinishReason.LENGTH);
        assertThatThrownBy(() -> RecordJson.fromJson("\"STOP\"", FinishReason.class))
                .hasStackTraceContaining("unknown FinishReason 'STOP'; use one of: stop, length, error, cancelled");
    }

    @Test
    void chatResultWithoutReasoningOmitsIt() throws Exception {
        ChatResult result = new ChatResult("r-1", "c-1", 1, null, null, FinishReason.LENGTH,
                new ChatResult.Usage(1, 1, 0), new ChatResult.Latency(0, 1, 2), KvSource.NONE);
        JsonNode json = tree(result);
        assertThat(names(json)).doesNotContain("reasoning_content");
        assertThat(json.get("content").textValue()).isEmpty();
    }

    @Test
    void deadLetterRoundTrip() throws Exception {
        DeadLetter letter = new DeadLetter(ErrorType.INVALID_FIELDS, "missing required field 'message'",
                "{\"request_id\":\"r\"}", false, false, "prompts", 3, 17L, 1764316800000L);
        JsonNode json = tree(letter);
        assertThat(names(json)).containsExactly("error_type", "error", "raw", "raw_base64", "raw_truncated",
                "topic", "partition", "offset", "timestamp");
        assertThat(json.get("error_type").textValue()).isEqualTo("invalid_fields");
        assertThat(json.get("offset").longValue()).isEqualTo(17L);
        assertThat(RecordJson.fromBytes(RecordJson.toBytes(letter), DeadLetter.class)).isEqualTo(letter);
    }

    @Test
    void metricsWindowRoundTrip() throws Exception {
        MetricsWindow window = new MetricsWindow(1000L, 11000L, 5, 10, 20, 30, 100, 200, 300, 55.5, 0.25, 2);
        JsonNode json = tree(window);
        assertThat(names(json)).containsExactly("window_start", "window_end", "count", "ttft_p50", "ttft_p95",
                "ttft_p99", "e2e_p50", "e2e_p95", "e2e_p99", "tokens_per_second", "cache_hit_ratio", "dlq_count");
        assertThat(RecordJson.fromBytes(RecordJson.toBytes(window), MetricsWindow.class)).isEqualTo(window);
    }

    @Test
    void unknownFieldsAreTolerated() {
        String json = "{\"window_start\":1,\"window_end\":2,\"count\":0,\"ttft_p50\":0,\"ttft_p95\":0,\"ttft_p99\":0,"
                + "\"e2e_p50\":0,\"e2e_p95\":0,\"e2e_p99\":0,\"tokens_per_second\":0,\"cache_hit_ratio\":0,"
                + "\"dlq_count\":0,\"added_later\":true}";
        assertThat(RecordJson.fromJson(json, MetricsWindow.class).windowEnd()).isEqualTo(2L);
    }
}
