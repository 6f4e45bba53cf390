package io.r1stream.operators;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.tokenizer.ChatMessage;

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
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conversation operator in a keyed harness with a latch-controlled fake engine: completions arrive only
 * when the test finishes a request, and reach the operator only through the task mailbox, as in a job.
 */
class ConversationOperatorTest {

    private final OperatorRig rig = new OperatorRig();

    @AfterEach
    void closeAll() throws Exception { rig.close(); }

    private FakeEngine engine(TestInfo info, String suffix) { return rig.engine(info, suffix); }

    private KeyedOneInputStreamOperatorTestHarness<String, PromptRequest, ChatResult> harness(
            FakeEngine engine, ConversationOptions options, OperatorSubtaskState restoreFrom) throws Exception {
        return rig.harness(engine, options, restoreFrom);
    }

    private static PromptRequest prompt(String conv, String id, String message) { return OperatorRig.prompt(conv, id, message); }

    private static void drain(KeyedOneInputStreamOperatorTestHarness<?, ?, ?> h) throws Exception { OperatorRig.drain(h); }

    private static List<ChatResult> results(KeyedOneInputStreamOperatorTestHarness<String, PromptRequest, ChatResult> h) {
        return h.extractOutputValues();
    }

    @Test
    void turnsOfOneConversationRunStrictlyInOrderWithTheirHistory(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults(), null);
        h.processElement(prompt("c", "r1", "hello there"), 0);
        h.processElement(prompt("c", "r2", "and again"), 0);
        h.processElement(prompt("c", "r3", "third one"), 0);
        assertThat(engine.submittedIds()).containsExactly("r1");

        engine.finish("r1", "thinking</think>answer one");
        drain(h);
        assertThat(engine.submittedIds()).containsExactly("r1", "r2");
        // turn 2's prompt is turn 1 (user + assistant) plus the new message
        FakeCodec codec = new FakeCodec();
        assertThat(engine.request("r2").promptTokens()).containsExactly(codec.render(null, List.of(
                ChatMessage.user("hello there"), ChatMessage.assistant("thinking</think>answer one"),
                ChatMessage.user("and again"))));

        engine.finish("r2", "two");
        drain(h);
        engine.finish("r3", "three");
        drain(h);

        List<ChatResult> out = results(h);
        assertThat(out).extracting(ChatResult::requestId).containsExactly("r1", "r2", "r3");
        assertThat(out).extracting(ChatResult::turn).containsExactly(1, 2, 3);
        assertThat(out.get(0).content()).isEqualTo("answer one");
        assertThat(out.get(0).reasoningContent()).isEqualTo("thinking");
        assertThat(out.get(1).content()).isEmpty(); // no </think>: the whole output is reasoning
        assertThat(out.get(1).reasoningContent()).isEqualTo("two");
        assertThat(out.get(0).finishReason()).isEqualTo(ChatResult.FinishReason.STOP);
        assertThat(out.get(0).usage().promptTokens()).isEqualTo(engine.request("r1").promptTokens().length);
        assertThat(out.get(0).latencyMs().e2e()).isGreaterThanOrEqualTo(10);
        assertThat(out.get(0).kvSource()).isEqualTo(ChatResult.KvSource.NONE);
    }

    @Test
    void aCompletionRunsInTheConversationsOrderWithoutTemplateOrHistoryAndLeavesTheHistoryAlone(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults().withKvTier(KvStateTier.EVERY_TURN), null);
        h.processElement(prompt("c", "r1", "hello there"), 0);
        h.processElement(new StreamRecord<>(new PromptRequest("r2", "c", null, null, 8, 0.0, 1.0, 0, 7L, List.of(),
                "def fib ( n ) :", true)));
        h.processElement(prompt("c", "r3", "and again"), 0);
        engine.finish("r1", "think</think>one");
        drain(h);
        // the completion's prompt is its text alone: no template, no history, nothing retained or exported
        FakeCodec codec = new FakeCodec();
        assertThat(engine.request("r2").promptTokens()).containsExactly(codec.tokenize("def fib ( n ) :"));
        assertThat(engine.request("r2").retainTokens()).isZero();
        assertThat(engine.request("r2").exportKvFrom()).isEqualTo(GenerationRequest.NO_EXPORT);
        engine.finish("r2", " return n</think>x");
        drain(h);
        // the chat turn after it sees turn 1 only
        assertThat(engine.request("r3").promptTokens()).containsExactly(codec.render(null, List.of(
                ChatMessage.user("hello there"), ChatMessage.assistant("think</think>one"), ChatMessage.user("and again"))));
        engine.finish("r3", "two");
        drain(h);

        List<ChatResult> out = results(h);
        assertThat(out).extracting(ChatResult::requestId).containsExactly("r1", "r2", "r3");
        assertThat(out).extracting(ChatResult::turn).containsExactly(1, 0, 2);
        // echo: the prompt, then the text as generated (no reasoning split for a completion)
        assertThat(out.get(1).content()).isEqualTo("def fib ( n ) : return n</think>x");
        assertThat(out.get(1).reasoningContent()).isNull();
        assertThat(out.get(1).usage().promptTokens()).isEqualTo(6); // six words
    }

    @Test
    void differentConversationsRunConcurrentlyAndFinishInAnyOrder(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults(), null);
        h.processElement(prompt("a", "a1", "first a"), 0);
        h.processElement(prompt("b", "b1", "first b"), 0);
        h.processElement(prompt("a", "a2", "second a"), 0);
        assertThat(engine.submittedIds()).containsExactly("a1", "b1");

        engine.finish("b1", "bee");
        drain(h);
        engine.finish("a1", "ay");
        drain(h);
        engine.finish("a2", "ay two");
        drain(h);
        assertThat(results(h)).extracting(ChatResult::requestId).containsExactly("b1", "a1", "a2");
        assertThat(results(h)).extracting(ChatResult::turn).containsExactly(1, 1, 2);
    }

    @Test
    void snapshotWithTurnsInFlightRestoresIntoANewHarnessAndResubmitsInOrder(TestInfo info) throws Exception {
        FakeEngine before = engine(info, "-before");
        ConversationOptions options = ConversationOptions.defaults().withKvTier(KvStateTier.EVERY_TURN);
        var h = harness(before, options, null);
        h.processElement(prompt("c", "c1", "one"), 0);
        before.finish("c1", "answer");
        drain(h);
        h.processElement(prompt("c", "c2", "two"), 0);   // in flight
        h.processElement(prompt("c", "c3", "three"), 0); // waiting behind c2
        h.processElement(prompt("d", "d1", "dee"), 0);   // in flight
        assertThat(before.submittedIds()).containsExactly("c1", "c2", "d1");
        assertThat(before.exported).containsExactly("c");

        OperatorSubtaskState snapshot = h.snapshot(1L, 1L);
        // the task fails here: the operator is closed without finish(), its turns still in flight
        rig.harnesses.remove(h);
        h.getOperator().close();

        FakeEngine after = engine(info, "-after");
        var restored = harness(after, options, snapshot);
        // both in-flight turns re-submitted at open, in key order; the waiting one not yet
        assertThat(after.submittedIds()).containsExactly("c2", "d1");
        assertThat(after.request("c2").promptTokens()).isEqualTo(before.request("c2").promptTokens());
        // the KV state tier offered c's chunks to the new engine before its first turn there
        assertThat(after.imported).containsOnlyKeys("c");

        after.finish("c2", "answer two");
        drain(restored);
        assertThat(after.submittedIds()).containsExactly("c2", "d1", "c3");
        after.finish("c3", "answer three");
        after.finish("d1", "answer dee");
        drain(restored);

        List<ChatResult> out = results(restored);
        assertThat(out).extracting(ChatResult::requestId).containsExactly("c2", "c3", "d1");
        assertThat(out).extracting(ChatResult::turn).containsExactly(2, 3, 1);
        assertThat(out.get(0).kvSource()).isEqualTo(ChatResult.KvSource.STATE);
        assertThat(out.get(0).usage().cachedTokens()).isPositive();
    }

    @Test
    void reachingTheInFlightLimitBlocksInputUntilATurnFinishes(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults().withMaxInFlight(1), null);
        h.processElement(prompt("a", "a1", "first"), 0);
        AtomicLong finishedAt = new AtomicLong();
        Thread completer = new Thread(() -> {
            try {
                Thread.sleep(300);
                finishedAt.set(System.nanoTime());
                engine.finish("a1", "done");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        completer.start();
        h.processElement(prompt("b", "b1", "second"), 0); // blocks in mailbox.yield() until a1's mail runs
        long returnedAt = System.nanoTime();
        completer.join();
        assertThat(finishedAt.get()).isPositive().isLessThan(returnedAt);
        assertThat(results(h)).extracting(ChatResult::requestId).containsExactly("a1");
        assertThat(engine.submittedIds()).containsExactly("a1", "b1");
        engine.finish("b1", "ok");
        drain(h);
        assertThat(results(h)).extracting(ChatResult::requestId).containsExactly("a1", "b1");
    }

    @Test
    void aTooLongMessageBecomesADeadLetterAndTheConversationGoesOn(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults().withMaxMessageTokens(4).withPromptsTopic("prompts-in"), null);
        h.processElement(prompt("c", "long", "one two three four five six"), 0);
        h.processElement(prompt("c", "ok", "short one"), 0);
        assertThat(engine.submittedIds()).containsExactly("ok");
        List<DeadLetter> letters = h.getSideOutput(ConversationOperator.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).error()).contains("request long").contains("6 tokens").contains("limit of 4");
        assertThat(letters.get(0).errorType()).isEqualTo(DeadLetter.ErrorType.INVALID_FIELDS);
        assertThat(letters.get(0).raw()).contains("\"request_id\":\"long\"");
        assertThat(letters.get(0).topic()).isEqualTo("prompts-in");

        // a prompt that with max_tokens overflows the context is rejected too
        String words = "w ".repeat(3);
        h.processElement(new PromptRequest("huge", "d", words, null, FakeCodec.CONTEXT, 0.0, 1.0, 0, 1L, List.of()), 0);
        assertThat(h.getSideOutput(ConversationOperator.DEAD_LETTERS)).hasSize(2);

        engine.finish("ok", "fine");
        drain(h);
        assertThat(results(h)).extracting(ChatResult::turn).containsExactly(1);
    }

    @Test
    void anIdleConversationExpiresAndIsDroppedFromTheEngine(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults().withIdleTtl(Duration.ofSeconds(10)), null);
        h.setProcessingTime(0);
        h.processElement(prompt("c", "c1", "hi"), 0);
        h.setProcessingTime(11_000); // in flight: not idle, even past the TTL
        assertThat(engine.dropped).isEmpty();
        engine.finish("c1", "hello");
        drain(h);
        h.setProcessingTime(15_000);
        assertThat(engine.dropped).isEmpty();
        h.setProcessingTime(30_000);
        assertThat(engine.dropped).containsExactly("c");
        h.processElement(prompt("c", "c2", "again"), 0);
        engine.finish("c2", "new start");
        drain(h);
        assertThat(results(h)).extracting(ChatResult::turn).containsExactly(1, 1);
    }

    @Test
    void onEvictTierStoresKvAtTheCheckpointAfterATurn(TestInfo info) throws Exception {
        FakeEngine engine = engine(info, "");
        var h = harness(engine, ConversationOptions.defaults().withKvTier(KvStateTier.ON_EVICT), null);
        h.processElement(prompt("c", "c1", "hi"), 0);
        engine.finish("c1", "hello");
        drain(h);
        // the turn's result carried its KV; the snapshot writes it to state without calling the engine
        // (FakeEngine.exportKv fails the test if called)
        assertThat(engine.exported).containsExactly("c");
        OperatorSubtaskState snapshot = h.snapshot(1L, 1L);
        h.snapshot(2L, 2L);

        FakeEngine after = engine(info, "-after");
        var restored = harness(after, ConversationOptions.defaults().withKvTier(KvStateTier.ON_EVICT), snapshot);
        restored.processElement(prompt("c", "c2", "more"), 0);
        assertThat(after.imported).containsOnlyKeys("c");
        after.finish("c2", "ok");
        drain(restored);
        assertThat(results(restored)).singleElement().satisfies(r -> {
            assertThat(r.turn()).isEqualTo(2);
            assertThat(r.kvSource()).isEqualTo(ChatResult.KvSource.STATE);
        });
    }
}
