package io.r1stream.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns an OpenAI request body into an {@link ApiRequest}, or an {@link ApiError} (400) that names the field
 * and what to change. Unknown fields are ignored, as OpenAI clients send many optional ones; fields whose
 * meaning this server cannot honour ({@code n} > 1, {@code logprobs}, {@code tools}, {@code suffix}) are
 * rejected rather than silently dropped.
 */
final class RequestParser {
    private static final int MAX_STOPS = 16;

    private final LoadedModel model;
    private final String servedName;

    RequestParser(LoadedModel model, String servedName) {
        this.model = model;
        this.servedName = servedName;
    }

    ApiRequest chat(JsonNode body, String requestId) {
        requireObject(body);
        String name = checkModel(body);
        rejectUnsupported(body);
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.badRequest("messages", "'messages' must be a non-empty array of {role, content}");
        }
        StringBuilder system = null;
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText("");
            String content = content(m, i);
            switch (role) {
                case "system", "developer" -> system = system == null ? new StringBuilder(content) : system.append("\n\n").append(content);
                case "user" -> turns.add(ChatMessage.user(content));
                case "assistant" -> turns.add(ChatMessage.assistant(content)); // the template drops its reasoning
                default -> throw ApiError.badRequest("messages[" + i + "].role", "role '" + role
                        + "' is not supported; use system, user or assistant");
            }
        }
        if (turns.stream().noneMatch(t -> t.role() == ChatMessage.Role.USER)) {
            throw ApiError.badRequest("messages", "'messages' needs at least one user message");
        }
        int[] prompt = model.chatPrompt(system == null ? null : system.toString(), turns);
        return new ApiRequest(ApiRequest.Kind.CHAT, requestId, name, prompt, null, sampling(body, prompt.length, "messages"),
                stream(body), includeUsage(body), false);
    }

    ApiRequest completion(JsonNode body, String requestId) {
        requireObject(body);
        String name = checkModel(body);
        rejectUnsupported(body);
        if (body.hasNonNull("suffix")) {
            throw ApiError.badRequest("suffix", "'suffix' (fill-in-the-middle) is not supported by this model's template; leave it out");
        }
        JsonNode p = body.get("prompt");
        String text;
        int[] prompt;
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) p = p.get(0);
        if (p != null && p.isTextual()) {
            text = p.asText();
            prompt = text.isEmpty() ? new int[0] : model.tokenizer().encode(text);
        } else if (p != null && p.isArray() && !p.isEmpty() && allInts(p)) {
            prompt = new int[p.size()];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = p.get(i).asInt();
                if (prompt[i] < 0 || prompt[i] >= model.config().vocabSize()) {
                    throw ApiError.badRequest("prompt", "token id " + prompt[i] + " at " + i + " is outside the vocabulary [0, "
                            + model.config().vocabSize() + ")");
                }
            }
            text = model.tokenizer().decode(prompt);
        } else if (p != null && p.isArray() && p.size() > 1) {
            throw ApiError.badRequest("prompt", "a batch of " + p.size() + " prompts is not supported; send one prompt per request");
        } else {
            throw ApiError.badRequest("prompt", "'prompt' must be a string (or an array of token ids)");
        }
        if (prompt.length == 0) throw ApiError.badRequest("prompt", "'prompt' is empty");
        return new ApiRequest(ApiRequest.Kind.COMPLETION, requestId, name, prompt, text, sampling(body, prompt.length, "prompt"),
                stream(body), includeUsage(body), body.path("echo").asBoolean(false));
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiError.badRequest(null, "the request body must be a JSON object");
    }

    private String checkModel(JsonNode body) {
        JsonNode m = body.get("model");
        if (m == null || m.isNull()) return servedName;
        if (!m.isTextual() || !m.asText().equals(servedName)) {
            throw ApiError.notFound("the model '" + m.asText() + "' does not exist here; GET /v1/models lists '" + servedName + "'",
                    "model_not_found");
        }
        return servedName;
    }

    private static void rejectUnsupported(JsonNode body) {
        if (body.has("n") && !body.get("n").isNull() && body.get("n").asInt(-1) != 1) {
            throw ApiError.badRequest("n", "only n = 1 is supported; send several requests (with different seeds) for more choices");
        }
        if (body.has("best_of") && body.get("best_of").asInt(1) != 1) {
            throw ApiError.badRequest("best_of", "only best_of = 1 is supported");
        }
        JsonNode lp = body.get("logprobs");
        if (lp != null && !lp.isNull() && !(lp.isBoolean() && !lp.asBoolean())) {
            throw ApiError.badRequest("logprobs", "logprobs are not supported; leave 'logprobs' out");
        }
        JsonNode tools = body.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            throw ApiError.badRequest("tools", "tool calls are not supported by this server");
        }
        JsonNode rf = body.path("response_format").path("type");
        if (rf.isTextual() && !rf.asText().equals("text")) {
            throw ApiError.badRequest("response_format", "response_format '" + rf.asText() + "' is not supported; only 'text'");
        }
    }

    private static String content(JsonNode m, int i) {
        JsonNode c = m.get("content");
        if (c == null || c.isNull()) return "";
        if (c.isTextual()) return c.asText();
        if (c.isArray()) { // [{"type":"text","text":"..."}, ...]
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText())) {
                    throw ApiError.badRequest("messages[" + i + "].content", "content part type '" + part.path("type").asText()
                            + "' is not supported; only 'text'");
                }
                sb.append(part.path("text").asText(""));
            }
            return sb.toString();
        }
        throw ApiError.badRequest("messages[" + i + "].content", "content must be a string or an array of text parts");
    }

    private SamplingParams sampling(JsonNode body, int promptLength, String promptField) {
        int context = model.config().maxPositionEmbeddings();
        if (promptLength >= context) {
            throw ApiError.badRequest(promptField, "the prompt has " + promptLength + " tokens but the model's context is " + context
                    + " tokens; shorten it");
        }
        Integer maxTokens = optInt(body, "max_completion_tokens");
        if (maxTokens == null) maxTokens = optInt(body, "max_tokens");
        int room = context - promptLength;
        if (maxTokens == null) maxTokens = room;
        if (maxTokens < 1) throw ApiError.badRequest("max_tokens", "max_tokens must be >= 1, got " + maxTokens);
        if (maxTokens > room) {
            throw ApiError.badRequest("max_tokens", "the model's context is " + context + " tokens; you asked for " + promptLength
                    + " in the prompt and " + maxTokens + " to generate: lower max_tokens to at most " + room);
        }
        Double temperature = optDouble(body, "temperature");
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
            throw ApiError.badRequest("temperature", "temperature must be in [0, 2], got " + temperature);
        }
        Double topP = optDouble(body, "top_p");
        if (topP != null && !(topP > 0 && topP <= 1)) throw ApiError.badRequest("top_p", "top_p must be in (0, 1], got " + topP);
        Integer topK = optInt(body, "top_k");
        if (topK != null && topK == -1) topK = 0; // vLLM's spelling of "off"
        if (topK != null && topK < 0) throw ApiError.badRequest("top_k", "top_k must be >= 0 (or -1 for off), got " + topK);
        Long seed = body.hasNonNull("seed") ? numberField(body, "seed").asLong() : null;
        return model.sampling(temperature, topP, topK, seed, maxTokens, stops(body));
    }

    private static List<String> stops(JsonNode body) {
        JsonNode s = body.get("stop");
        if (s == null || s.isNull()) return List.of();
        if (s.isTextual()) return s.asText().isEmpty() ? List.of() : List.of(s.asText());
        if (s.isArray() && s.size() <= MAX_STOPS) {
            List<String> out = new ArrayList<>();
            for (JsonNode x : s) {
                if (!x.isTextual()) throw ApiError.badRequest("stop", "'stop' must be a string or an array of strings");
                if (!x.asText().isEmpty()) out.add(x.asText());
            }
            return out;
        }
        throw ApiError.badRequest("stop", "'stop' must be a string or an array of at most " + MAX_STOPS + " strings");
    }

    private static boolean stream(JsonNode body) {
        JsonNode s = body.get("stream");
        if (s == null || s.isNull()) return false;
        if (!s.isBoolean()) throw ApiError.badRequest("stream", "'stream' must be true or false");
        return s.asBoolean();
    }

    private static boolean includeUsage(JsonNode body) {
        return body.path("stream_options").path("include_usage").asBoolean(false);
    }

    private static boolean allInts(JsonNode array) {
        for (JsonNode x : array) if (!x.isIntegralNumber()) return false;
        return true;
    }

    private static Integer optInt(JsonNode body, String field) {
        if (!body.hasNonNull(field)) return null;
        JsonNode n = numberField(body, field);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw ApiError.badRequest(field, "'" + field + "' must be an integer, got " + n);
        return n.asInt();
    }

    private static Double optDouble(JsonNode body, String field) {
        return body.hasNonNull(field) ? numberField(body, field).asDouble() : null;
    }

    private static JsonNode numberField(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (!n.isNumber()) throw ApiError.badRequest(field, "'" + field + "' must be a number, got " + n);
        return n;
    }
}
