package io.r1stream.connectors.prompt;

import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.DeadLetter.ErrorType;
import io.r1stream.connectors.records.PromptRequest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromptParserTest {

    private final PromptParser parser = new PromptParser(PromptLimits.defaults());

    private Parsed parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8), "prompts", 2, 41L, 1764316800000L);
    }

    private PromptRequest ok(String json) {
        Parsed parsed = parse(json);
        assertThat(parsed).isInstanceOf(Parsed.Ok.class);
        return ((Parsed.Ok) parsed).request();
    }

    private DeadLetter rejected(String json) {
        Parsed parsed = parse(json);
        assertThat(parsed).isInstanceOf(Parsed.Rejected.class);
        return ((Parsed.Rejected) parsed).deadLetter();
    }

    /** The three required fields plus {@code extra}, e.g. {@code ,"top_k":5}. */
    private static String with(String extra) {
        return "{\"request_id\":\"r-1\",\"conversation_id\":\"c-1\",\"message\":\"Hi\"" + extra + "}";
    }

    // ---------------------------------------------------------------------------------------------
    // good prompts

    @Test
    void minimalPromptGetsDefaults() {
        PromptRequest request = ok(with(""));
        PromptLimits d = PromptLimits.defaults();
        assertThat(request).isEqualTo(new PromptRequest("r-1", "c-1", "Hi", null, d.defaultMaxTokens(),
                d.defaultTemperature(), d.defaultTopP(), d.defaultTopK(), PromptParser.defaultSeed("r-1"), List.of()));
        assertThat(request.maxTokens()).isEqualTo(1024);
        assertThat(request.temperature()).isEqualTo(0.6);
        assertThat(request.topP()).isEqualTo(0.95);
        assertThat(request.topK()).isZero();
    }

    @Test
    void everyParameterIsRead() {
        PromptRequest request = ok(with(",\"system\":\"Be brief.\",\"max_tokens\":64,\"temperature\":0,"
                + "\"top_p\":1,\"top_k\":40,\"seed\":-9007199254740993,\"stop\":[\"</s>\",\"User:\"]"));
        assertThat(request).isEqualTo(new PromptRequest("r-1", "c-1", "Hi", "Be brief.", 64, 0.0, 1.0, 40,
                -9007199254740993L, List.of("</s>", "User:")));
    }

    @Test
    void completionRecordCarriesPromptAndEchoWithoutConversation() {
        PromptRequest request = ok("{\"request_id\":\"r-9\",\"prompt\":\"def fib(n):\",\"max_tokens\":32,\"echo\":true}");
        assertThat(request.isCompletion()).isTrue();
        assertThat(request.prompt()).isEqualTo("def fib(n):");
        assertThat(request.message()).isNull();
        assertThat(request.echo()).isTrue();
        assertThat(request.conversationId()).isEqualTo("r-9"); // the request id stands in
        assertThat(request.maxTokens()).isEqualTo(32);
        assertThat(ok("{\"request_id\":\"r-9\",\"conversation_id\":\"c-3\",\"prompt\":\"x\"}").conversationId())
                .isEqualTo("c-3");
        assertThat(ok(with("")).isCompletion()).isFalse();
    }

    @Test
    void completionRecordErrorsAreReportedTogether() {
        DeadLetter dl = rejected("{\"request_id\":\"r-9\",\"prompt\":\"x\",\"message\":\"y\",\"system\":\"s\","
                + "\"suffix\":\"}\",\"echo\":\"yes\"}");
        assertThat(dl.errorType()).isEqualTo(ErrorType.INVALID_FIELDS);
        assertThat(dl.error()).contains("not both").contains("'system' applies to chat turns")
                .contains("'suffix' (fill-in-the-middle) is not supported").contains("'echo' must be true or false");
        assertThat(rejected("{\"request_id\":\"r-9\",\"prompt\":\"  \"}").error()).contains("'prompt' must not be blank");
    }

    @Test
    void singleStopStringBecomesAList() {
        assertThat(ok(with(",\"stop\":\"###\"")).stop()).containsExactly("###");
    }

    @Test
    void nullOptionalsAndBlankSystemCountAsAbsent() {
        PromptRequest request = ok(with(",\"system\":\"  \",\"max_tokens\":null,\"temperature\":null,\"stop\":null"));
        assertThat(request.system()).isNull();
        assertThat(request.maxTokens()).isEqualTo(1024);
        assertThat(request.temperature()).isEqualTo(0.6);
        assertThat(request.stop()).isEmpty();
    }

    @Test
    void unknownFieldsAreTolerated() {
        assertThat(ok(with(",\"model\":\"deepseek-r1\",\"metadata\":{\"user\":7}")).message()).isEqualTo("Hi");
    }

    @Test
    void defaultSeedIsStablePerRequestId() {
        assertThat(ok(with("")).seed()).isEqualTo(ok(with("")).seed());
        // FNV-1a 64 of "a", a published test vector
        assertThat(PromptParser.defaultSeed("a")).isEqualTo(0xaf63dc4c8601ec8cL);
        assertThat(PromptParser.defaultSeed("r-1")).isNotEqualTo(PromptParser.defaultSeed("r-2"));
    }

    @Test
    void boundaryValuesAreAccepted() {
        PromptRequest request = ok(with(",\"max_tokens\":4096,\"temperature\":2,\"top_p\":0.0001,\"top_k\":0"));
        assertThat(request.maxTokens()).isEqualTo(4096);
        assertThat(request.temperature()).isEqualTo(2.0);
        assertThat(ok(with(",\"max_tokens\":1")).maxTokens()).isEqualTo(1);
    }

    @Test
    void messageLengthCountsCodePoints() {
        PromptParser small = new PromptParser(PromptLimits.defaults().withMaxMessageChars(3));
        // three emoji: six UTF-16 chars, three code points
        String json = "{\"request_id\":\"r\",\"conversation_id\":\"c\",\"message\":\"\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\"}";
        assertThat(small.parse(json.getBytes(StandardCharsets.UTF_8), "prompts", 0, 0, 0))
                .isInstanceOf(Parsed.Ok.class);
    }

    // ---------------------------------------------------------------------------------------------
    // bad prompts: each gives an exact reason

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing request_id      | {"conversation_id":"c","message":"m"}                          | missing required field 'request_id'
            null conversation_id    | {"request_id":"r","conversation_id":null,"message":"m"}        | missing required field 'conversation_id'
            missing message         | {"request_id":"r","conversation_id":"c"}                       | missing required field 'message'
            blank message           | {"request_id":"r","conversation_id":"c","message":" \\n\\t"}   | 'message' must not be blank
            blank request_id        | {"request_id":"","conversation_id":"c","message":"m"}          | 'request_id' must not be blank
            numeric request_id      | {"request_id":17,"conversation_id":"c","message":"m"}          | 'request_id' must be a string, got number 17
            message as array        | {"request_id":"r","conversation_id":"c","message":["m"]}       | 'message' must be a string, got an array
            system as object        | {"request_id":"r","conversation_id":"c","message":"m","system":{}} | 'system' must be a string, got an object
            max_tokens as word      | {"request_id":"r","conversation_id":"c","message":"m","max_tokens":"ten"} | 'max_tokens' must be an integer, got string "ten"
            max_tokens fractional   | {"request_id":"r","conversation_id":"c","message":"m","max_tokens":10.5} | 'max_tokens' must be an integer, got number 10.5
            max_tokens zero         | {"request_id":"r","conversation_id":"c","message":"m","max_tokens":0} | 'max_tokens' must be between 1 and 4096 (the configured limit), got 0
            max_tokens over limit   | {"request_id":"r","conversation_id":"c","message":"m","max_tokens":4097} | 'max_tokens' must be between 1 and 4096 (the configured limit), got 4097
            max_tokens over int     | {"request_id":"r","conversation_id":"c","message":"m","max_tokens":99999999999} | 'max_tokens' must be between 1 and 4096 (the configured limit), got 99999999999
            temperature as string   | {"request_id":"r","conversation_id":"c","message":"m","temperature":"0.7"} | 'temperature' must be a number, got string "0.7"
            temperature negative    | {"request_id":"r","conversation_id":"c","message":"m","temperature":-0.1} | 'temperature' must be between 0 and 2 (0 = greedy), got -0.1
            temperature above 2     | {"request_id":"r","conversation_id":"c","message":"m","temperature":2.5} | 'temperature' must be between 0 and 2 (0 = greedy), got 2.5
            top_p zero              | {"request_id":"r","conversation_id":"c","message":"m","top_p":0} | 'top_p' must be in (0, 1] (1 = off), got 0
            top_p above 1           | {"request_id":"r","conversation_id":"c","message":"m","top_p":1.01} | 'top_p' must be in (0, 1] (1 = off), got 1.01
            top_p boolean           | {"request_id":"r","conversation_id":"c","message":"m","top_p":true} | 'top_p' must be a number, got boolean true
            top_k negative          | {"request_id":"r","conversation_id":"c","message":"m","top_k":-1} | 'top_k' must be >= 0 (0 = off), got -1
            seed as string          | {"request_id":"r","conversation_id":"c","message":"m","seed":"42"} | 'seed' must be an integer, got string "42"
            seed over 64 bits       | {"request_id":"r","conversation_id":"c","message":"m","seed":18446744073709551616} | 'seed' must fit in a signed 64-bit integer, got 18446744073709551616
            stop as number          | {"request_id":"r","conversation_id":"c","message":"m","stop":5} | 'stop' must be a string or a list of strings, got number 5
            stop element not string | {"request_id":"r","conversation_id":"c","message":"m","stop":["a",3]} | 'stop[1]' must be a string, got number 3
            stop element empty      | {"request_id":"r","conversation_id":"c","message":"m","stop":[""]} | 'stop[0]' must not be an empty string
            stop empty string       | {"request_id":"r","conversation_id":"c","message":"m","stop":""} | 'stop' must not be an empty string
            """)
    void invalidFieldIsNamedExactly(String caseName, String json, String error) {
        DeadLetter letter = rejected(json);
        assertThat(letter.errorType()).isEqualTo(ErrorType.INVALID_FIELDS);
        assertThat(letter.error()).isEqualTo(error);
        assertThat(letter.raw()).isEqualTo(json);
        assertThat(letter.rawBase64()).isFalse();
        assertThat(letter.rawTruncated()).isFalse();
        assertThat(letter.topic()).isEqualTo("prompts");
        assertThat(letter.partition()).isEqualTo(2);
        assertThat(letter.offset()).isEqualTo(41L);
        assertThat(letter.timestamp()).isEqualTo(1764316800000L);
    }

    @Test
    void allFieldErrorsAreReportedTogether() {
        assertThat(rejected("{\"conversation_id\":\"c\",\"message\":\"\",\"temperature\":9,\"top_k\":\"x\"}").error())
                .isEqualTo("missing required field 'request_id'; 'message' must not be blank; "
                        + "'temperature' must be between 0 and 2 (0 = greedy), got 9; "
                        + "'top_k' must be an integer, got string \"x\"");
    }

    @Test
    void tooLongMessageNamesTheLimit() {
        PromptParser small = new PromptParser(PromptLimits.defaults().withMaxMessageChars(5));
        Parsed parsed = small.parse(with("").replace("\"Hi\"", "\"123456\"").getBytes(StandardCharsets.UTF_8),
                "prompts", 0, 0, 0);
        assertThat(((Parsed.Rejected) parsed).deadLetter().error()).isEqualTo(
                "'message' is 6 characters, over the limit of 5; shorten it or raise PromptLimits.maxMessageChars");
    }

    @Test
    void configuredTokenLimitIsApplied() {
        PromptParser small = new PromptParser(PromptLimits.defaults().withMaxTokensLimit(100));
        assertThat(((Parsed.Ok) small.parse(with("").getBytes(StandardCharsets.UTF_8), "p", 0, 0, 0))
                .request().maxTokens()).isEqualTo(100); // the default 1024 is clamped to the limit
        Parsed over = small.parse(with(",\"max_tokens\":101").getBytes(StandardCharsets.UTF_8), "p", 0, 0, 0);
        assertThat(((Parsed.Rejected) over).deadLetter().error())
                .isEqualTo("'max_tokens' must be between 1 and 100 (the configured limit), got 101");
    }

    @Test
    void tooLongIdIsRejected() {
        String id = "x".repeat(257);
        assertThat(rejected("{\"request_id\":\"" + id + "\",\"conversation_id\":\"c\",\"message\":\"m\"}").error())
                .isEqualTo("'request_id' is 257 characters, over the limit of 256; shorten it or raise "
                        + "PromptLimits.maxIdChars");
    }

    @Test
    void malformedJsonGivesLineAndColumn() {
        DeadLetter letter = rejected("{\"request_id\":\"r\",\n\"message\" \"m\"}");
        assertThat(letter.errorType()).isEqualTo(ErrorType.MALFORMED_JSON);
        assertThat(letter.error()).startsWith("malformed JSON at line 2, column 11: Unexpected character ('\"'");
        assertThat(letter.raw()).isEqualTo("{\"request_id\":\"r\",\n\"message\" \"m\"}");
    }

    @Test
    void trailingGarbageIsMalformed() {
        DeadLetter letter = rejected(with("") + " {}");
        assertThat(letter.errorType()).isEqualTo(ErrorType.MALFORMED_JSON);
        assertThat(letter.error()).startsWith("malformed JSON at line 1, column").contains("Trailing token");
    }

    @Test
    void truncatedJsonIsMalformed() {
        DeadLetter letter = rejected("{\"request_id\":\"r\"");
        assertThat(letter.errorType()).isEqualTo(ErrorType.MALFORMED_JSON);
        assertThat(letter.error()).contains("end-of-input");
    }

    @Test
    void nonObjectIsRejected() {
        DeadLetter letter = rejected("[1,2]");
        assertThat(letter.errorType()).isEqualTo(ErrorType.NOT_AN_OBJECT);
        assertThat(letter.error()).isEqualTo(
                "the value must be a JSON object with request_id, conversation_id and message, got an array");
        assertThat(rejected("\"hello\"").error()).endsWith("got string \"hello\"");
    }

    @Test
    void emptyValuesAreRejected() {
        Parsed tombstone = parser.parse(null, "prompts", 0, 5, -1);
        DeadLetter letter = ((Parsed.Rejected) tombstone).deadLetter();
        assertThat(letter.errorType()).isEqualTo(ErrorType.EMPTY);
        assertThat(letter.error()).isEqualTo("empty record: the value is null (a tombstone); "
                + "send a JSON object with request_id, conversation_id and message");
        assertThat(letter.raw()).isEmpty();
        assertThat(letter.timestamp()).isEqualTo(-1);

        assertThat(rejected("").error()).startsWith("empty record: the value is 0 bytes;");
        assertThat(rejected("  \n ").error()).startsWith("empty record: the value holds only whitespace;");
    }

    @Test
    void invalidUtf8IsKeptAsBase64() {
        byte[] bytes = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        Parsed parsed = parser.parse(bytes, "prompts", 1, 9, 0);
        DeadLetter letter = ((Parsed.Rejected) parsed).deadLetter();
        assertThat(letter.errorType()).isEqualTo(ErrorType.MALFORMED_JSON);
        assertThat(letter.error()).contains("Invalid UTF-8");
        assertThat(letter.rawBase64()).isTrue();
        assertThat(Base64.getDecoder().decode(letter.raw())).isEqualTo(bytes);
    }

    @Test
    void hugeRawValueIsTruncatedWithoutSplittingACharacter() {
        PromptParser small = new PromptParser(PromptLimits.defaults().withMaxDeadLetterRawBytes(7));
        // ["abéé"]: é is 2 bytes in UTF-8, so the 7-byte prefix ends inside the second é
        byte[] bytes = "[\"ab\u00e9\u00e9\"]".getBytes(StandardCharsets.UTF_8);
        assertThat(bytes.length).isEqualTo(10);
        DeadLetter letter = ((Parsed.Rejected) small.parse(bytes, "prompts", 0, 0, 0)).deadLetter();
        assertThat(letter.errorType()).isEqualTo(ErrorType.NOT_AN_OBJECT);
        assertThat(letter.rawTruncated()).isTrue();
        assertThat(letter.rawBase64()).isFalse();
        assertThat(letter.raw()).isEqualTo("[\"ab\u00e9");
    }

    @Test
    void limitsRejectInconsistentSettings() {
        assertThatThrownBy(() -> PromptLimits.defaults().withDefaultMaxTokens(5000))
                .hasMessage("defaultMaxTokens must be between 1 and maxTokensLimit (4096), got 5000; "
                        + "lower it or raise maxTokensLimit");
        assertThatThrownBy(() -> PromptLimits.defaults().withDefaultTopP(0))
                .hasMessage("defaultTopP must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> PromptLimits.defaults().withMaxMessageChars(0))
                .hasMessage("maxMessageChars must be at least 1, got 0");
    }
}
