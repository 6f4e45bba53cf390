package io.r1stream.jobs;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run without Flink and without faults: each conversation's turns one after another on the engine, with
 * the sampling the test prompts ask for (greedy, 8 tokens, seed 7). Maps request id -> output text.
 */
final class ReferenceAnswers {
    private ReferenceAnswers() {}

    /** @param conversations conversation id -> its user messages in order, with their request ids */
    static Map<String, String> compute(EngineOptions options, Map<String, List<String[]>> conversations) {
        Map<String, String> texts = new LinkedHashMap<>();
        try (Engines.EngineHandle h = Engines.acquire(options)) {
            for (Map.Entry<String, List<String[]>> conv : conversations.entrySet()) {
                List<ChatMessage> history = new ArrayList<>();
                for (String[] turn : conv.getValue()) {
                    history.add(ChatMessage.user(turn[1]));
                    int[] prompt = h.model().chatPrompt(null, history);
                    GenerationResult r = h.engine().submit(new GenerationRequest("ref-" + turn[0], null, prompt,
                            new SamplingParams(0, 0, 1, 7L, 8, List.of()))).result().join();
                    history.add(ChatMessage.assistant(r.text()));
                    texts.put(turn[0], r.text());
                }
            }
        }
        return texts;
    }
}
