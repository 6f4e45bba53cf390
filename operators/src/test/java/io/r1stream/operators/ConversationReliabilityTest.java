package io.r1stream.operators;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.kv.KvChunk;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.r1stream.operators.OperatorRig.drain;
import static io.r1stream.operators.OperatorRig.prompt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9's operator-side guarantees, each pinned by a test that failed on the wave-1 operator: a stuck turn
 * ends, a conversation's queue is bounded, duplicates are not turns, KV state is appended (only the reusable
 * prefix), and a conversation that outgrows the context drops its oldest turns instead of being rejected.
 */
class ConversationReliabilityTest {
    private final OperatorRig rig = new OperatorRig();

    @AfterEach
    void closeAll() throws Exception { rig.close(); }

    private static List<DeadLetter> deadLetters(KeyedOneInputStreamOperatorTestHarness<String, PromptRequest, ChatResult> h) {
        var q = h.getSideOutput(ConversationOperator.DEAD_LETTERS);
        return q == null ? List.of() : q.stream().map(StreamRecord::getValue).toList();
    }

    /** Regression: a turn the engine never answers used to hold its conversation (and the idle timer) forever. */
    @Test
    void aStuckTurnTimesOutAsAnErrorResultTheNextTurnRunsAndTheConversationCanExpire(TestInfo info) throws Exception {
        FakeEngine engine = rig.engine(info, "");
        var h = rig.harness(engine, ConversationOptions.defaults().withTurnTimeout(Duration.ofSeconds(5))
                .withIdleTtl(Duration.ofSeconds(60)), null);
        h.setProcessingTime(0);
        h.processElement(prompt("c", "stuck", "hello"), 0);
        h.processElement(prompt("c", "next", "are you there"), 0);
        h.setProcessingTime(4_000);
        assertThat(h.extractOutputValues()).isEmpty();
        h.setProcessingTime(5_001);
        drain(h);
        assertThat(engine.isCancelled("stuck")).isTrue(); // its engine slot is given back
        assertThat(h.extractOutputValues()).singleElement().satisfies(r -> {
            assertThat(r.requestId()).isEqualTo("stuck");
            assertThat(r.finishReason()).isEqualTo(ChatResult.FinishReason.ERROR);
            assertThat(r.error()).contains("timed out").contains("5 s");
        });
        assertThat(engine.submittedIds()).containsExactly("stuck", "next");
        engine.finish("next", "yes");
        drain(h);
        // the failed turn is not part of the history; the next one is turn 1 of the conversation
        assertThat(h.extractOutputValues()).extracting(ChatResult::turn).containsExactly(1, 1);
        h.setProcessingTime(200_000);
        assertThat(engine.dropped).containsExactly("c");
    }

    /** Regression: an unbounded list of waiting turns per conversation. */
    @Test
    void turnsPastTheWaitingLimitBecomeQueueFullDeadLetters(TestInfo info) throws Exception {
        FakeEngine engine = rig.engine(info, "");
        var h = rig.harness(engine, ConversationOptions.defaults().withMaxWaitingTurns(2), null);
        for (int i = 1; i <= 5; i++) h.processElement(prompt("c", "r" + i, "message " + i), 0);
        assertThat(deadLetters(h)).extracting(DeadLetter::errorType)
                .containsExactly(DeadLetter.ErrorType.CONVERSATION_QUEUE_FULL, DeadLetter.ErrorType.CONVERSATION_QUEUE_FULL);
        assertThat(deadLetters(h).get(0).error()).contains("request r4").contains("2 turns waiting");
        for (String id : List.of("r1", "r2", "r3")) {
            engine.finish(id, "ok " + id);
            drain(h);
        }
        assertThat(h.extractOutputValues()).extracting(ChatResult::requestId).containsExactly("r1", "r2", "r3");
    }

    /** Regression: an upstream duplicate (same request_id) used to become a second turn. */
    @Test
    void aDuplicateRequestIdIsNotASecondTurnAndGetsTheSameResultAgain(TestInfo info) throws Exception {
        FakeEngine engine = rig.engine(info, "");
        var h = rig.harness(engine, ConversationOptions.defaults(), null);
        h.processElement(prompt("c", "r1", "hello"), 0);
        h.processElement(prompt("c", "r1", "hello"), 0); // duplicate while in flight: ignored
        engine.finish("r1", "think</think>hi");
        drain(h);
        h.processElement(prompt("c", "r1", "hello"), 0); // duplicate after the answer: the answer again
        h.processElement(prompt("c", "r2", "second"), 0);
        engine.finish("r2", "two");
        drain(h);
        assertThat(engine.submittedIds()).containsExactly("r1", "r2");
        List<ChatResult> out = h.extractOutputValues();
        assertThat(out).extracting(ChatResult::requestId).containsExactly("r1", "r1", "r2");
        assertThat(out.get(1)).isEqualTo(out.get(0));
        assertThat(out.get(2).turn()).isEqualTo(2);
    }

    /**
     * Regression: every-turn rewrote the whole KV each turn (and kept the answer's KV, which the next prompt
     * never reuses). Now each turn asks the engine to keep only the reusable prefix and appends the new part.
     */
    @Test
    void everyTurnAppendsOnlyTheNewReusablePrefixAndARestoreOffersItContiguously(TestInfo info) throws Exception {
        FakeEngine before = rig.engine(info, "-before");
        ConversationOptions options = ConversationOptions.defaults().withKvTier(KvStateTier.EVERY_TURN);
        var h = rig.harness(before, options, null);
        h.processElement(prompt("c", "c1", "one two"), 0);
        GenerationRequest first = before.request("c1");
        // FakeCodec: the next turn's prompt shares all of this prompt, none of the answer
        assertThat(first.retainTokens()).isEqualTo(first.promptTokens().length);
        assertThat(first.exportKvFrom()).isZero();
        before.finish("c1", "answer words here");
        drain(h);
        h.processElement(prompt("c", "c2", "three"), 0);
        GenerationRequest second = before.request("c2");
        assertThat(second.exportKvFrom()).isEqualTo(first.retainTokens()); // only what changed is exported
        before.finish("c2", "more");
        drain(h);
        OperatorSubtaskState snapshot = h.snapshot(1L, 1L);

        FakeEngine after = rig.engine(info, "-after");
        var restored = rig.harness(after, options, snapshot);
        restored.processElement(prompt("c", "c3", "four"), 0);
        List<KvChunk> offered = after.imported.get("c");
        assertThat(offered).extracting(KvChunk::startPosition).containsExactly(0, first.retainTokens());
        assertThat(offered.get(1).endPosition()).isEqualTo(second.retainTokens());
        assertThat(after.request("c3").exportKvFrom()).isEqualTo(second.retainTokens());
    }

    /** Regression: a conversation that outgrew the context had every further turn rejected. */
    @Test
    void aConversationThatOutgrowsTheContextDropsItsOldestTurns(TestInfo info) throws Exception {
        FakeEngine engine = rig.engine(info, "");
        var h = rig.harness(engine, ConversationOptions.defaults(), null);
        String twenty = "w ".repeat(20);
        h.processElement(prompt("c", "r1", twenty), 0);
        engine.finish("r1", "a");
        drain(h);
        h.processElement(prompt("c", "r2", twenty), 0);
        engine.finish("r2", "b");
        drain(h);
        // 1 + (21 + 2) * 2 + 21 + 1 + 8 max tokens > 64: the oldest pair goes
        h.processElement(prompt("c", "r3", twenty), 0);
        assertThat(engine.submittedIds()).containsExactly("r1", "r2", "r3");
        assertThat(engine.request("r3").promptTokens().length + 8).isLessThanOrEqualTo(FakeCodec.CONTEXT);
        assertThat(deadLetters(h)).isEmpty();

        var strict = rig.harness(rig.engine(info, "-strict"), ConversationOptions.defaults().withContextPolicy(ContextPolicy.ERROR), null);
        FakeEngine e2 = rig.engines.get(1);
        strict.processElement(prompt("d", "d1", twenty), 0);
        e2.finish("d1", "a");
        drain(strict);
        strict.processElement(prompt("d", "d2", twenty), 0);
        e2.finish("d2", "b");
        drain(strict);
        strict.processElement(prompt("d", "d3", twenty), 0);
        assertThat(deadLetters(strict)).singleElement().satisfies(d ->
                assertThat(d.error()).contains("request d3").contains("context policy: error"));
    }
}
