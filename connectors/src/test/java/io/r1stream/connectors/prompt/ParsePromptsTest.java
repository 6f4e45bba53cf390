package io.r1stream.connectors.prompt;

import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.DeadLetter.ErrorType;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.connectors.records.RawRecord;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The process function in a Flink test harness: good prompts out, bad ones to the side output. */
class ParsePromptsTest {

    private static RawRecord raw(long offset, String value) {
        return new RawRecord("prompts", 0, offset, 1000 + offset, null,
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void splitsPromptsFromDeadLetters() throws Exception {
        try (OneInputStreamOperatorTestHarness<RawRecord, PromptRequest> harness =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParsePrompts(PromptLimits.defaults()))) {
            harness.processElement(raw(0, "{\"request_id\":\"r0\",\"conversation_id\":\"c\",\"message\":\"a\"}"), 1000);
            harness.processElement(raw(1, "{\"request_id\":\"r1\",\"conversation_id\":\"c\"}"), 1001);
            harness.processElement(raw(2, null), 1002);
            harness.processElement(raw(3, "{\"request_id\":\"r3\",\"conversation_id\":\"d\",\"message\":\"b\","
                    + "\"max_tokens\":8}"), 1003);

            List<PromptRequest> prompts = harness.extractOutputValues();
            assertThat(prompts).extracting(PromptRequest::requestId).containsExactly("r0", "r3");
            assertThat(prompts.get(1).maxTokens()).isEqualTo(8);

            List<DeadLetter> letters = harness.getSideOutput(ParsePrompts.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(letters).extracting(DeadLetter::offset).containsExactly(1L, 2L);
            assertThat(letters).extracting(DeadLetter::errorType)
                    .containsExactly(ErrorType.INVALID_FIELDS, ErrorType.EMPTY);
            assertThat(letters.get(0).error()).isEqualTo("missing required field 'message'");
            assertThat(letters.get(0).timestamp()).isEqualTo(1001L);
        }
    }
}
