package io.r1stream.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.ReasoningSplit;

/**
 * The JSON bodies of OpenAI's API as vLLM and the DeepSeek API write them: {@code chat.completion} with
 * {@code message.reasoning_content}, {@code chat.completion.chunk} with {@code delta.reasoning_content} /
 * {@code delta.content}, {@code text_completion}, {@code usage} with {@code prompt_tokens_details.cached_tokens},
 * and the error shape.
 */
final class ResponseBodies {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String id;      // "chatcmpl-<request id>" or "cmpl-<request id>"
    private final String model;
    private final long created;   // epoch seconds

    ResponseBodies(ApiRequest req) {
        this.id = (req.kind() == ApiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + req.requestId();
        this.model = req.model();
        this.created = System.currentTimeMillis() / 1000;
    }

    // ------------------------------------------------------------------ whole responses

    String chatCompletion(GenerationResult r, ReasoningSplit split) {
        ObjectNode root = head("chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", split.content());
        if (split.reasoning().isEmpty()) message.putNull("reasoning_content");
        else message.put("reasoning_content", split.reasoning());
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.finishReason()));
        root.set("usage", usage(r));
        return write(root);
    }

    String textCompletion(GenerationResult r, String text) {
        ObjectNode root = head("text_completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.put("text", text);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.finishReason()));
        root.set("usage", usage(r));
        return write(root);
    }

    // ------------------------------------------------------------------ stream chunks

    /** The first chat chunk: the role, as OpenAI sends it. */
    String chatRoleChunk(boolean includeUsage) {
        ObjectNode root = head("chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        delta.put("role", "assistant");
        delta.put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        if (includeUsage) root.putNull("usage");
        return write(root);
    }

    /** A chat delta; either part may be empty (left out). {@code finish} non-null on the last choice chunk. */
    String chatDeltaChunk(String reasoning, String content, FinishReason finish, boolean includeUsage) {
        ObjectNode root = head("chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (!reasoning.isEmpty()) delta.put("reasoning_content", reasoning);
        if (!content.isEmpty()) delta.put("content", content);
        choice.putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finishReason(finish));
        if (includeUsage) root.putNull("usage");
        return write(root);
    }

    String textChunk(String text, FinishReason finish, boolean includeUsage) {
        ObjectNode root = head("text_completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.put("text", text);
        choice.putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finishReason(finish));
        if (includeUsage) root.putNull("usage");
        return write(root);
    }

    /** The chunk after the last choice chunk when {@code include_usage}: no choices, the usage. */
    String usageChunk(GenerationResult r, boolean chat) {
        ObjectNode root = head(chat ? "chat.completion.chunk" : "text_completion");
        root.putArray("choices");
        root.set("usage", usage(r));
        return write(root);
    }

    // ------------------------------------------------------------------ shared

    static String error(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) err.putNull("param"); else err.put("param", e.param());
        if (e.code() == null) err.putNull("code"); else err.put("code", e.code());
        return write(root);
    }

    static String models(String name, int contextTokens, long created) {
        ObjectNode root = JSON.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        ObjectNode m = data.addObject();
        m.put("id", name);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "r1stream");
        m.put("max_model_len", contextTokens);
        return write(root);
    }

    private ObjectNode head(String object) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    private static ObjectNode usage(GenerationResult r) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", r.promptTokens());
        u.put("completion_tokens", r.completionTokens());
        u.put("total_tokens", r.promptTokens() + r.completionTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", r.cachedTokens());
        return u;
    }

    private static String finishReason(FinishReason f) {
        return switch (f) {
            case STOP -> "stop";
            case LENGTH -> "length";
            case CANCELLED -> "abort"; // vLLM's word for a request stopped from outside
            case ERROR -> "error";
        };
    }

    private static String write(ObjectNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
