package io.r1stream.operators.summarize;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Regression: a model that opens {@code <think>} after the prompt's closed reasoning block leaked it into the summary. */
class SummaryPromptsTest {
    @Test
    void reasoningTheModelOpensAnywayNeverReachesTheSummary() {
        assertThat(SummaryPrompts.withoutReasoning("Flink keeps state.<think>hmm")).isEqualTo("Flink keeps state.");
        assertThat(SummaryPrompts.withoutReasoning("A<think>x</think>B<think>y</think>C")).isEqualTo("ABC");
        assertThat(SummaryPrompts.withoutReasoning("draft</think>Final")).isEqualTo("Final");
        assertThat(SummaryPrompts.withoutReasoning("plain text")).isEqualTo("plain text");
    }
}
