package io.r1stream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.r1stream.engine.Engines;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.ReasoningSplitter;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code r1stream generate}: one prompt through the R1 chat template, streamed, with its latency figures. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate an answer to one prompt (DeepSeek-R1 chat format) and print reasoning, answer and speed.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin EngineArgs engine;

    @Option(names = "--prompt", required = true, description = "the user message") String prompt;
    @Option(names = "--system", description = "system text (DeepSeek recommends none for R1)") String system;
    @Option(names = "--max-tokens", defaultValue = "256", description = "generated tokens at most (default: ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--temperature", description = "0 = greedy (default: generation_config.json's, 0.6 for R1)") Double temperature;
    @Option(names = "--top-p", description = "nucleus sampling (default: generation_config.json's)") Double topP;
    @Option(names = "--top-k", description = "0 = off (default: generation_config.json's)") Integer topK;
    @Option(names = "--seed", description = "same seed -> same text") Long seed;
    @Option(names = "--stop", split = ",", description = "stop strings, comma separated") List<String> stop;
    @Option(names = "--json", description = "print one JSON object instead of text") boolean json;

    @Override
    public Integer call() throws Exception {
        List<ChatMessage> turns = List.of(ChatMessage.user(prompt));
        TokenListener live = json ? TokenListener.NONE : (id, delta) -> { System.out.print(delta); System.out.flush(); };
        GenerationResult r;
        String device;
        try (Engines.EngineHandle h = Engines.acquire(engine.options())) {
            int[] ids = h.model().chatPrompt(system, turns);
            SamplingParams p = h.model().sampling(temperature, topP, topK, seed, maxTokens, stop);
            r = h.engine().submit(new GenerationRequest("cli", null, ids, p), live).result().join();
            device = h.model().forwardPass().device();
        }
        if (r.error() != null) throw new IllegalStateException(r.error());
        // The prompt ends inside <think>, so the output has no opening tag: the splitter handles both.
        ReasoningSplit split = ReasoningSplitter.split(r.text()).withoutSurroundingNewlines();
        double tps = r.decodeTokensPerSecond();
        if (json) {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("reasoning_content", split.reasoning());
            n.put("content", split.content());
            n.put("finish_reason", r.finishReason().wireName());
            n.put("prompt_tokens", r.promptTokens());
            n.put("completion_tokens", r.completionTokens());
            n.put("ttft_ms", round(r.timing().ttftMs()));
            n.put("tokens_per_second", round(tps));
            System.out.println(n);
        } else {
            System.out.println();
            System.out.println("---- reasoning ----");
            System.out.println(split.reasoning() == null ? "" : split.reasoning());
            System.out.println("---- answer ----");
            System.out.println(split.content() == null ? "" : split.content());
            System.out.printf("---- prompt tokens %d, completion tokens %d (%s), time to first token %.1f ms, %.1f tokens/s on %s%n",
                    r.promptTokens(), r.completionTokens(), r.finishReason().wireName(), r.timing().ttftMs(), tps, device);
        }
        return 0;
    }

    static double round(double v) { return Math.round(v * 100) / 100.0; }
}
