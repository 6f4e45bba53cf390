package io.r1stream.connectors.records;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Objects;

/**
 * A record of the {@code prompts} topic that could not become a {@link PromptRequest}, written to
 * {@code prompts.dlq} (JSON, snake_case) so that nothing is dropped silently.
 *
 * <pre>{"error_type":"invalid_fields","error":"'temperature' must be between 0 and 2, got 3.5",
 *  "raw":"{\"request_id\":\"r-1\", ...}","raw_base64":false,"raw_truncated":false,
 *  "topic":"prompts","partition":0,"offset":17,"timestamp":1764316800000}</pre>
 *
 * @param errorType    {@code error_type}: the class of problem, for counting and alerting.
 * @param error        {@code error}: what was wrong, naming the field and the offending value, phrased
 *                     so the producer knows what to change. Several field errors are joined by "; ".
 * @param raw          {@code raw}: the record's value as received, decoded as UTF-8; base64 of the
 *                     bytes when they are not valid UTF-8 (then {@code raw_base64} is true); {@code ""}
 *                     for a null value. At most {@code PromptLimits.maxDeadLetterRawBytes} bytes of
 *                     the value are kept.
 * @param rawBase64    {@code raw_base64}: true when {@code raw} is base64 (standard alphabet, padded).
 * @param rawTruncated {@code raw_truncated}: true when the value was longer than the kept prefix.
 * @param topic        {@code topic}: the topic the record was read from.
 * @param partition    {@code partition}: its partition.
 * @param offset       {@code offset}: its offset in that partition.
 * @param timestamp    {@code timestamp}: the Kafka timestamp of the original record (epoch ms), or -1
 *                     when the record had none.
 */
public record DeadLetter(
        @JsonProperty("error_type") ErrorType errorType,
        @JsonProperty("error") String error,
        @JsonProperty("raw") String raw,
        @JsonProperty("raw_base64") boolean rawBase64,
        @JsonProperty("raw_truncated") boolean rawTruncated,
        @JsonProperty("topic") String topic,
        @JsonProperty("partition") int partition,
        @JsonProperty("offset") long offset,
        @JsonProperty("timestamp") long timestamp) {

    public DeadLetter {
        Objects.requireNonNull(errorType, "errorType");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(raw, "raw");
    }

    /** Classes of dead letters; JSON values are the lower-case names. */
    public enum ErrorType {
        /** the value was null (a tombstone) or 0 bytes. */
        EMPTY,
        /** the value is not well-formed JSON (or not UTF-8). */
        MALFORMED_JSON,
        /** well-formed JSON, but not an object. */
        NOT_AN_OBJECT,
        /** a JSON object with missing, blank, mistyped or out-of-range fields. */
        INVALID_FIELDS,
        /** the conversation already had its maximum of turns waiting behind the one in flight. */
        CONVERSATION_QUEUE_FULL;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static ErrorType fromWireName(String value) {
            return WireNames.parse(ErrorType.class, value);
        }
    }
}
