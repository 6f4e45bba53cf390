package io.r1stream.engine.sched;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StepPlannerTest {
    record Work(String name, int pendingTokens) implements ScheduledWork {}

    @Test
    void decodesGoFirstAndALongPromptIsChunkedUnderTheBudget() {
        StepPlanner planner = new StepPlanner(new SchedulerLimits(4, 10));
        Work longPrompt = new Work("long", 100), d1 = new Work("d1", 1), d2 = new Work("d2", 1), shortPrompt = new Work("short", 5);
        var plan = planner.plan(List.of(longPrompt, d1, shortPrompt, d2));
        assertThat(plan).extracting(s -> s.work().name() + ":" + s.tokens()).containsExactly("d1:1", "d2:1", "long:8");
    }

    @Test
    void limitsThatCannotDecodeEveryRunningSequenceAreRefused() {
        assertThatThrownBy(() -> new SchedulerLimits(8, 4)).hasMessageContaining("max-tokens-per-step");
    }
}
