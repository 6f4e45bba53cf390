package io.r1stream.connectors.prompt;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;

import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.DeadLetter.ErrorType;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.connectors.records.RawRecord;
import io.r1stream.connectors.records.RecordJson;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Turns the bytes of a {@code prompts} record into a validated {@link PromptRequest} with defaults
 * filled in, or a {@link DeadLetter} that says precisely what was wrong.
 *
 * <p>Checks, in order: the value is present; it is well-formed UTF-8 JSON with nothing after it; it
 * is an object; then every field (all field errors are reported together, joined by "; "):
 * required strings {@code request_id}, {@code conversation_id}, {@code message} present, strings, not
 * blank, within length limits; optional parameters of the right JSON type and in range. A record with
 * {@code prompt} is a completion request: {@code prompt} replaces {@code message}, {@code conversation_id}
 * becomes optional (the request id stands in), {@code echo} is allowed, and {@code system}, {@code message}
 * and {@code suffix} are errors. JSON
 * {@code null} counts as absent. Unknown fields are ignored. Limits and defaults come from
 * {@link PromptLimits}.
 *
 * <p>Thread-safe; one per operator instance is enough.
 */
public final class PromptParser {

    private final PromptLimits limits;
    private final ObjectMapper mapper = RecordJson.newMapper();

    public PromptParser(PromptLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Parses the value of {@code record}. */
    public Parsed parse(RawRecord record) {
        return parse(record.value(), record.topic(), record.partition(), record.offset(), record.timestamp());
    }

    /**
     * Parses {@code value}; topic, partition, offset and timestamp (epoch ms, -1 if unknown) only go
     * into a dead letter.
     */
    public Parsed parse(byte[] value, String topic, int partition, long offset, long timestamp) {
        Source source = new Source(value, topic, partition, offset, timestamp);
        if (value == null || value.length == 0) {
            return source.reject(ErrorType.EMPTY, "empty record: the value is "
                    + (value == null ? "null (a tombstone)" : "0 bytes")
                    + "; send a JSON object with request_id, conversation_id and message");
        }
        JsonNode root;
        try {
            root = mapper.readTree(value);
        } catch (JsonProcessingException e) {
            return source.reject(ErrorType.MALFORMED_JSON, "malformed JSON" + where(e.getLocation())
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            return source.reject(ErrorType.MALFORMED_JSON, "malformed JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            return source.reject(ErrorType.EMPTY, "empty record: the value holds only whitespace; "
                    + "send a JSON object with request_id, conversation_id and message");
        }
        if (!root.isObject()) {
            return source.reject(ErrorType.NOT_AN_OBJECT, "the value must be a JSON object with request_id, "
                    + "conversation_id and message, got " + describe(root));
        }

        Fields f = new Fields(root);
        String requestId = f.requiredString("request_id", limits.maxIdChars(), "maxIdChars");
        boolean completion = f.get("prompt") != null;
        String conversationId;
        String message = null;
        String prompt = null;
        String system = null;
        boolean echo = false;
        if (completion) {
            // a completion: the text as it is, no template, no history; the request id stands in for a conversation
            conversationId = f.optionalString("conversation_id", limits.maxIdChars(), "maxIdChars");
            if (conversationId == null) conversationId = requestId;
            prompt = f.requiredString("prompt", limits.maxMessageChars(), "maxMessageChars");
            if (f.get("message") != null) f.errors.add("give either 'message' (a chat turn) or 'prompt' (a completion), not both");
            if (f.get("system") != null) f.errors.add("'system' applies to chat turns ('message'); leave it out of a completion "
                    + "or put it in the prompt");
            if (f.get("suffix") != null) f.errors.add("'suffix' (fill-in-the-middle) is not supported by this model's template; "
                    + "leave it out");
            echo = f.optionalBoolean("echo");
        } else {
            conversationId = f.requiredString("conversation_id", limits.maxIdChars(), "maxIdChars");
            message = f.requiredString("message", limits.maxMessageChars(), "maxMessageChars");
            system = f.optionalString("system", limits.maxMessageChars(), "maxMessageChars");
        }
        int maxTokens = f.optionalInt("max_tokens", Math.min(limits.defaultMaxTokens(), limits.maxTokensLimit()),
                1, limits.maxTokensLimit(), "must be between 1 and " + limits.maxTokensLimit()
                        + " (the configured limit)");
        double temperature = f.optionalDouble("temperature", limits.defaultTemperature(),
                0, 2, false, "must be between 0 and 2 (0 = greedy)");
        double topP = f.optionalDouble("top_p", limits.defaultTopP(),
                0, 1, true, "must be in (0, 1] (1 = off)");
        int topK = f.optionalInt("top_k", limits.defaultTopK(),
                0, Integer.MAX_VALUE, "must be >= 0 (0 = off)");
        Long seed = f.optionalLong("seed");
        List<String> stop = f.stop();

        if (!f.errors.isEmpty()) {
            return source.reject(ErrorType.INVALID_FIELDS, String.join("; ", f.errors));
        }
        return new Parsed.Ok(new PromptRequest(requestId, conversationId, message, system, maxTokens,
                temperature, topP, topK, seed != null ? seed : defaultSeed(requestId), stop, prompt, echo));
    }

    /**
     * The seed of a request that gives none: FNV-1a (64 bit) of the UTF-8 bytes of
     * {@code request_id}. Stable across JVMs and restarts, so a replayed request samples the same text.
     */
    public static long defaultSeed(String requestId) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : requestId.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    // ---------------------------------------------------------------------------------------------
    // field checks: each records an error and returns a placeholder, so all errors are reported at once

    private static final class Fields {
        private final JsonNode root;
        private final List<String> errors = new ArrayList<>();

        Fields(JsonNode root) {
            this.root = root;
        }

        /** The field, or null when absent or JSON null. */
        private JsonNode get(String name) {
            JsonNode node = root.get(name);
            return node == null || node.isNull() ? null : node;
        }

        String requiredString(String name, int maxChars, String limitName) {
            JsonNode node = get(name);
            if (node == null) {
                errors.add("missing required field '" + name + "'");
                return null;
            }
            return checkString(name, node, maxChars, limitName, true);
        }

        String optionalString(String name, int maxChars, String limitName) {
            JsonNode node = get(name);
            if (node == null) {
                return null;
            }
            String value = checkString(name, node, maxChars, limitName, false);
            return value == null || value.isBlank() ? null : value;
        }

        private String checkString(String name, JsonNode node, int maxChars, String limitName, boolean required) {
            if (!node.isTextual()) {
                errors.add("'" + name + "' must be a string, got " + describe(node));
                return null;
            }
            String value = node.textValue();
            if (required && value.isBlank()) {
                errors.add("'" + name + "' must not be blank");
                return null;
            }
            int chars = value.codePointCount(0, value.length());
            if (chars > maxChars) {
                errors.add("'" + name + "' is " + chars + " characters, over the limit of " + maxChars
                        + "; shorten it or raise PromptLimits." + limitName);
                return null;
            }
            return value;
        }

        int optionalInt(String name, int fallback, int min, int max, String rangeRule) {
            JsonNode node = get(name);
            if (node == null) {
                return fallback;
            }
            if (!node.isIntegralNumber()) {
                errors.add("'" + name + "' must be an integer, got " + describe(node));
                return fallback;
            }
            if (!node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
                errors.add("'" + name + "' " + rangeRule + ", got " + node.asText());
                return fallback;
            }
            return node.intValue();
        }

        double optionalDouble(String name, double fallback, double min, double max, boolean minExclusive,
                              String rangeRule) {
            JsonNode node = get(name);
            if (node == null) {
                return fallback;
            }
            if (!node.isNumber()) {
                errors.add("'" + name + "' must be a number, got " + describe(node));
                return fallback;
            }
            double value = node.doubleValue();
            boolean aboveMin = minExclusive ? value > min : value >= min;
            if (!aboveMin || !(value <= max)) {
                errors.add("'" + name + "' " + rangeRule + ", got " + node.asText());
                return fallback;
            }
            return value;
        }

        boolean optionalBoolean(String name) {
            JsonNode node = get(name);
            if (node == null) {
                return false;
            }
            if (!node.isBoolean()) {
                errors.add("'" + name + "' must be true or false, got " + describe(node));
                return false;
            }
            return node.booleanValue();
        }

        Long optionalLong(String name) {
            JsonNode node = get(name);
            if (node == null) {
                return null;
            }
            if (!node.isIntegralNumber()) {
                errors.add("'" + name + "' must be an integer, got " + describe(node));
                return null;
            }
            if (!node.canConvertToLong()) {
                errors.add("'" + name + "' must fit in a signed 64-bit integer, got " + node.asText());
                return null;
            }
            return node.longValue();
        }

        List<String> stop() {
            JsonNode node = get("stop");
            if (node == null) {
                return List.of();
            }
            if (node.isTextual()) {
                if (node.textValue().isEmpty()) {
                    errors.add("'stop' must not be an empty string");
                    return List.of();
                }
                return List.of(node.textValue());
            }
            if (!node.isArray()) {
                errors.add("'stop' must be a string or a list of strings, got " + describe(node));
                return List.of();
            }
            List<String> stops = new ArrayList<>(node.size());
            for (int i = 0; i < node.size(); i++) {
                JsonNode element = node.get(i);
                if (!element.isTextual()) {
                    errors.add("'stop[" + i + "]' must be a string, got " + describe(element));
                } else if (element.textValue().isEmpty()) {
                    errors.add("'stop[" + i + "]' must not be an empty string");
                } else {
                    stops.add(element.textValue());
                }
            }
            return stops;
        }
    }

    /** "string \"ten\"", "number 3.5", "array", "object", "boolean true": the JSON type and a short value. */
    static String describe(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case STRING -> "string " + abbreviate(node.toString());
            case NUMBER -> "number " + node.asText();
            case BOOLEAN -> "boolean " + node.asText();
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 42 ? s : s.substring(0, 40) + "...\"";
    }

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    // ---------------------------------------------------------------------------------------------
    // dead letters

    private final class Source {
        private final byte[] value;
        private final String topic;
        private final int partition;
        private final long offset;
        private final long timestamp;

        Source(byte[] value, String topic, int partition, long offset, long timestamp) {
            this.value = value;
            this.topic = topic;
            this.partition = partition;
            this.offset = offset;
            this.timestamp = timestamp;
        }

        Parsed reject(ErrorType type, String error) {
            byte[] bytes = value == null ? new byte[0] : value;
            boolean truncated = bytes.length > limits.maxDeadLetterRawBytes();
            byte[] kept = truncated ? Arrays.copyOf(bytes, limits.maxDeadLetterRawBytes()) : bytes;
            String text = strictUtf8(kept, truncated);
            boolean base64 = text == null;
            String raw = base64 ? Base64.getEncoder().encodeToString(kept) : text;
            return new Parsed.Rejected(new DeadLetter(type, error, raw, base64, truncated,
                    topic, partition, offset, timestamp));
        }
    }

    /**
     * The bytes as a string if they are valid UTF-8, else null. A truncated prefix may end inside a
     * multi-byte character; that incomplete tail is dropped rather than counted as invalid.
     */
    private static String strictUtf8(byte[] bytes, boolean truncated) {
        int length = bytes.length;
        if (truncated) {
            // find the lead byte of the last character and drop that character if it was cut
            int lead = length - 1;
            while (lead > 0 && length - lead < 4 && (bytes[lead] & 0xC0) == 0x80) {
                lead--;
            }
            int b = bytes[lead] & 0xff;
            int expected = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            if (lead + expected > length) {
                length = lead;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
