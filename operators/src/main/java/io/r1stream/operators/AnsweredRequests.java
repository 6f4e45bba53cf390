package io.r1stream.operators;

import io.r1stream.connectors.records.ChatResult;

import org.apache.flink.api.common.state.ListState;

import java.util.ArrayList;
import java.util.List;

/**
 * The last answers of a conversation by request id (keyed state), so that an upstream duplicate (a producer
 * retry, a replayed topic) gets the same result again instead of becoming a second turn. Bounded to
 * {@code window} results per conversation. Task thread only; the current key must be the conversation.
 */
final class AnsweredRequests {
    private final ListState<ChatResult> answered;
    private final int window;

    AnsweredRequests(ListState<ChatResult> answered, int window) {
        this.answered = answered;
        this.window = window;
    }

    /** The stored answer to this request id, or null. */
    ChatResult find(String requestId) throws Exception {
        if (window == 0) return null;
        Iterable<ChatResult> all = answered.get();
        if (all == null) return null;
        for (ChatResult r : all) if (r.requestId().equals(requestId)) return r;
        return null;
    }

    void remember(ChatResult result) throws Exception {
        if (window == 0) return;
        List<ChatResult> list = new ArrayList<>();
        Iterable<ChatResult> all = answered.get();
        if (all != null) all.forEach(list::add);
        list.add(result);
        if (list.size() > window) answered.update(list.subList(list.size() - window, list.size()));
        else answered.add(result);
    }
}
