package io.r1stream.operators;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.PromptRequest;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.TestInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The keyed harnesses and latch-controlled fake engines of one conversation-operator test, closed after it
 * (open turns are answered first: a harness's close runs finish(), which waits for turns in flight).
 */
final class OperatorRig implements AutoCloseable {
    final List<KeyedOneInputStreamOperatorTestHarness<String, PromptRequest, ChatResult>> harnesses = new ArrayList<>();
    final List<FakeEngine> engines = new ArrayList<>();

    FakeEngine engine(TestInfo info, String suffix) {
        FakeEngine e = FakeEngine.create(info.getDisplayName() + suffix);
        engines.add(e);
        return e;
    }

    KeyedOneInputStreamOperatorTestHarness<String, PromptRequest, ChatResult> harness(
            FakeEngine engine, ConversationOptions options, OperatorSubtaskState restoreFrom) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new ConversationOperator(FakeEngine.factory(engine.name), options), PromptRequest::conversationId, Types.STRING);
        harnesses.add(h);
        if (restoreFrom != null) h.initializeState(restoreFrom);
        h.open();
        return h;
    }

    static PromptRequest prompt(String conv, String id, String message) {
        return new PromptRequest(id, conv, message, null, 8, 0.0, 1.0, 0, 7L, List.of());
    }

    /** Runs the mails the engine's completions posted (what the task's mailbox loop does in a job). */
    static void drain(KeyedOneInputStreamOperatorTestHarness<?, ?, ?> h) throws Exception {
        TaskMailbox mailbox = h.getTaskMailbox();
        Optional<Mail> mail;
        while ((mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) mail.get().run();
    }

    @Override
    public void close() throws Exception {
        for (var h : harnesses) {
            for (FakeEngine e : engines) e.finishAll();
            drain(h);
            h.close();
        }
        for (FakeEngine e : engines) e.close();
    }
}
