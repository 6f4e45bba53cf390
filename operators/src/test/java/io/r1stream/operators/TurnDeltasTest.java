package io.r1stream.operators;

import io.r1stream.connectors.records.ChatDelta;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Coalescing, the streamed R1 split and the final marker of one turn's deltas (mails run at once here). */
class TurnDeltasTest {
    final List<ChatDelta> out = new ArrayList<>();

    TurnDeltas deltas(DeltaOptions o) {
        return new TurnDeltas("r-1", "c-1", 2, 777L, o, Runnable::run, out::add);
    }

    @Test
    void everyTokenIsADeltaWithIntervalZeroAndTheSplitIsAppliedWhileStreaming() {
        TurnDeltas d = deltas(DeltaOptions.every(Duration.ZERO, 0));
        for (String t : new String[] {"Let", " me", " think", "</th", "ink>", "\n\nThe", " answer"}) d.onToken(1, t);
        d.finish("stop");
        assertThat(out).extracting(ChatDelta::seq).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(out).allSatisfy(x -> {
            assertThat(x.requestId()).isEqualTo("r-1");
            assertThat(x.turn()).isEqualTo(2);
            assertThat(x.attempt()).isEqualTo(777L);
        });
        assertThat(String.join("", out.stream().map(ChatDelta::reasoningContent).toList())).isEqualTo("Let me think");
        assertThat(String.join("", out.stream().map(ChatDelta::content).toList())).isEqualTo("\n\nThe answer");
        assertThat(out.subList(0, out.size() - 1)).noneMatch(ChatDelta::last);
        ChatDelta last = out.get(out.size() - 1);
        assertThat(last.last()).isTrue();
        assertThat(last.finishReason()).isEqualTo("stop");
    }

    @Test
    void tokensAreCoalescedByCountAndByInterval() {
        TurnDeltas byCount = deltas(DeltaOptions.every(Duration.ofHours(1), 3));
        for (int i = 0; i < 7; i++) byCount.onToken(i, "t" + i);
        byCount.finish("length");
        // the first token at once, then every 3 tokens, then the rest with the final marker
        assertThat(out).extracting(ChatDelta::reasoningContent).containsExactly("t0", "t1t2t3", "t4t5t6", "");
        assertThat(out).extracting(ChatDelta::last).containsExactly(false, false, false, true);

        out.clear();
        TurnDeltas byTime = deltas(DeltaOptions.every(Duration.ofHours(1), 0));
        for (int i = 0; i < 5; i++) byTime.onToken(i, "t" + i);
        byTime.finish("stop");
        assertThat(out).extracting(ChatDelta::reasoningContent).containsExactly("t0", "t1t2t3t4");
    }

    @Test
    void tokensAfterTheTurnFinishedAreIgnored() {
        TurnDeltas d = deltas(DeltaOptions.every(Duration.ZERO, 0));
        d.onToken(1, "a");
        d.finish("error"); // e.g. the turn timeout, while the engine still streams
        d.onToken(2, "b");
        d.finish("stop");
        assertThat(out).extracting(ChatDelta::reasoningContent).containsExactly("a", "");
        assertThat(out.get(1).finishReason()).isEqualTo("error");
    }
}
