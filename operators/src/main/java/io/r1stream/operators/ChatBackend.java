package io.r1stream.operators;

import io.r1stream.engine.Completion;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.List;

/**
 * The seam between the conversation operator and a backend that takes the conversation as messages rather
 * than token ids: a remote OpenAI-compatible server ({@code --backend openai}), which renders the chat
 * template and keeps its own prefix cache. Order, history in keyed state, exactly-once results, dead
 * letters and metrics stay the operator's; only the generation moves.
 */
public interface ChatBackend {

    /**
     * Starts one turn. The completion's result always completes (errors are results with an error), on a
     * thread of the backend; its text is the full output ({@code reasoning</think>answer}) and its KV chunks
     * are empty.
     *
     * @param turns the history and the new user message, oldest first (assistant turns as the model wrote them)
     * @param listener the text as it streams in (reasoning {@code </think>} content, as the local engine streams it);
     *                 called on a backend thread
     */
    Completion submit(String conversationId, String requestId, String system, List<ChatMessage> turns, SamplingParams sampling,
                      TokenListener listener);

    /**
     * Starts one completion ({@code /v1/completions}: the prompt continued as it is, no template). The same
     * contract as {@link #submit}; {@code conversationId} only picks the replica.
     */
    Completion complete(String conversationId, String requestId, String prompt, SamplingParams sampling, TokenListener listener);
}
