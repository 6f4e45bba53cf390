package io.r1stream.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.ReasoningSplitter;

import java.io.IOException;

/**
 * Builds one answer from an OpenAI-style SSE stream ({@code chat.completion.chunk} or {@code text_completion}
 * chunks). Reasoning comes from {@code delta.reasoning_content} (DeepSeek API, SGLang, serve, vLLM until
 * late 2025) or {@code delta.reasoning} (vLLM since vllm-project/vllm#27752); a server without a reasoning parser sends it inside
 * {@code content}, which is then split at {@code </think>} as vLLM's R1 parser would. Usage and cached tokens
 * come from the {@code include_usage} chunk in either spelling (OpenAI/vLLM or DeepSeek's).
 *
 * <p>One instance per attempt, one thread.
 */
final class StreamAssembler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder content = new StringBuilder();
    private boolean reasoningField;  // the server splits itself
    private boolean done;            // [DONE] seen
    private String finishReason;
    private int promptTokens;
    private int completionTokens;
    private int cachedTokens;
    private int textChunks;          // chunks that carried generated text
    private String streamError;      // an error event inside the stream
    private final StringBuilder lastReasoning = new StringBuilder(); // what the last accepted event added
    private final StringBuilder lastContent = new StringBuilder();

    /**
     * Feeds one SSE {@code data:} payload.
     *
     * @return true when it carried generated text (for TTFT and inter-chunk timing)
     */
    boolean accept(String data) {
        lastReasoning.setLength(0);
        lastContent.setLength(0);
        if (data.equals("[DONE]")) {
            done = true;
            return false;
        }
        JsonNode n;
        try {
            n = JSON.readTree(data);
        } catch (IOException e) {
            throw new IllegalStateException("the endpoint sent an event that is not JSON: " + abbreviate(data), e);
        }
        if (n.has("error")) {
            streamError = n.path("error").path("message").asText(n.get("error").toString());
            return false;
        }
        JsonNode usage = n.get("usage");
        if (usage != null && usage.isObject()) {
            promptTokens = usage.path("prompt_tokens").asInt(promptTokens);
            completionTokens = usage.path("completion_tokens").asInt(completionTokens);
            if (usage.path("prompt_tokens_details").has("cached_tokens")) {
                cachedTokens = usage.path("prompt_tokens_details").path("cached_tokens").asInt(0);
            } else if (usage.has("prompt_cache_hit_tokens")) { // the DeepSeek API's spelling
                cachedTokens = usage.get("prompt_cache_hit_tokens").asInt(0);
            }
        }
        boolean text = false;
        for (JsonNode choice : n.path("choices")) {
            JsonNode delta = choice.has("delta") ? choice.get("delta") : choice;
            String r = textOf(delta, "reasoning_content");
            if (r == null) r = textOf(delta, "reasoning");
            if (r != null) {
                reasoningField = true;
                if (!r.isEmpty()) {
                    reasoning.append(r);
                    lastReasoning.append(r);
                    text = true;
                }
            }
            String c = textOf(delta, "content");
            if (c == null) c = textOf(choice, "text"); // text_completion
            if (c != null && !c.isEmpty()) {
                content.append(c);
                lastContent.append(c);
                text = true;
            }
            JsonNode f = choice.get("finish_reason");
            if (f != null && !f.isNull()) finishReason = f.asText();
        }
        if (text) textChunks++;
        return text;
    }

    /** The reasoning field text of the last event (servers that split); "" otherwise. */
    String lastReasoningDelta() { return lastReasoning.toString(); }

    /** The content text of the last event (raw: may hold {@code <think>} parts on servers that do not split). */
    String lastContentDelta() { return lastContent.toString(); }

    boolean finished() { return done || (finishReason != null && streamError == null); }

    String streamError() { return streamError; }

    int textChunks() { return textChunks; }

    /** Reasoning and answer: the server's split, else {@code <think>} in the content split here. */
    ReasoningSplit split(boolean chat) {
        if (!chat || reasoningField || content.indexOf("</think>") < 0) {
            return new ReasoningSplit(reasoning.toString(), content.toString(), reasoningField);
        }
        return ReasoningSplitter.split(content.toString());
    }

    String finishReason() { return finishReason == null ? "stop" : finishReason; }
    int promptTokens() { return promptTokens; }
    int completionTokens() { return completionTokens; }
    int cachedTokens() { return cachedTokens; }

    private static String textOf(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
