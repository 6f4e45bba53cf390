package io.r1stream.remote;

import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.List;
import java.util.Objects;

/**
 * One turn for a remote endpoint: a chat ({@code messages}, rendered by the server's chat template) or a
 * completion ({@code prompt}, no template). The conversation id picks the replica (affinity); the request id
 * goes out as {@code X-Request-Id}; with the same seed a deterministic server answers a re-sent turn alike.
 *
 * @param messages assistant turns hold the model's full output; what precedes the last {@code </think>} is not sent
 */
public record RemoteRequest(String conversationId, String requestId, List<ChatMessage> messages, String prompt,
                            SamplingParams sampling) {

    public RemoteRequest {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(sampling, "sampling");
        if ((messages == null) == (prompt == null)) throw new IllegalArgumentException("request " + requestId + ": give messages or a prompt, not both");
        if (messages != null) {
            if (messages.isEmpty()) throw new IllegalArgumentException("request " + requestId + ": no messages");
            messages = List.copyOf(messages);
        }
    }

    public static RemoteRequest chat(String conversationId, String requestId, List<ChatMessage> messages, SamplingParams sampling) {
        return new RemoteRequest(conversationId, requestId, messages, null, sampling);
    }

    public static RemoteRequest completion(String conversationId, String requestId, String prompt, SamplingParams sampling) {
        return new RemoteRequest(conversationId, requestId, null, prompt, sampling);
    }

    public boolean isChat() { return messages != null; }

    /** The key that picks the replica: the conversation, else the request. */
    String affinityKey() { return conversationId != null ? conversationId : requestId; }
}
