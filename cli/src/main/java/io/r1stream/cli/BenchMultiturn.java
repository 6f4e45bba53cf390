package io.r1stream.cli;

import io.r1stream.engine.BatchingEngine;
import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Time to first token of each turn of one conversation, with the conversation's KV kept between turns
 * (reuse on) and recomputed every turn (reuse off). Prompts are rendered with the R1 chat template, so
 * reuse stops where the template drops the previous answer's reasoning, as in production.
 */
@Command(name = "multiturn", mixinStandardHelpOptions = true,
        description = "Per-turn time to first token with KV reuse on and off.")
final class BenchMultiturn implements Callable<Integer> {
    private static final String[] WORDS = ("stream flink kafka window state token model answer question think reason "
            + "summary latency cache batch engine record topic offset checkpoint restore").split(" ");

    @Mixin EngineArgs engine;
    @Option(names = "--turns", defaultValue = "5", description = "turns (default: ${DEFAULT-VALUE})") int turns;
    @Option(names = "--turn-tokens", defaultValue = "256", description = "tokens of each new user message (default: ${DEFAULT-VALUE})") int turnTokens;
    @Option(names = "--gen-tokens", defaultValue = "16", description = "tokens generated per turn (default: ${DEFAULT-VALUE})") int genTokens;

    @Override
    public Integer call() {
        System.out.println(MachineInfo.describe());
        EngineOptions o = engine.options();
        try (LoadedModel m = LoadedModel.load(o);
             BatchingEngine e = new BatchingEngine(m.forwardPass(), m.defaults().eosTokenIds(), m::newDetokenizer, o)) {
            List<String> messages = new ArrayList<>();
            SplittableRandom rnd = new SplittableRandom(5);
            for (int i = 0; i < turns; i++) messages.add(message(m, rnd));
            // warm-up, the wave-1 way: the whole sequence (answer included) kept; its KV exported each turn
            List<long[]> wave1 = new ArrayList<>();
            conversation(e, m, messages, "warmup", false, wave1);
            List<long[]> now = new ArrayList<>();
            List<GenerationResult> on = conversation(e, m, messages, "conv-on", true, now);
            List<GenerationResult> off = conversation(e, m, messages, null, false, new ArrayList<>());
            System.out.printf("model: %s, forward pass on %s, %d thread(s), %d turns of ~%d new tokens, %d generated per turn%n",
                    m.dir().getFileName(), m.forwardPass().device(), engine.threads, turns, turnTokens, genTokens);
            System.out.println("turn | prompt tokens | cached (reuse on) | ttft reuse on ms | ttft reuse off ms | off/on");
            for (int i = 0; i < turns; i++) {
                GenerationResult a = on.get(i), b = off.get(i);
                System.out.printf("%4d | %13d | %17d | %16.1f | %17.1f | %5.1fx%n", i + 1, a.promptTokens(), a.cachedTokens(),
                        a.timing().ttftMs(), b.timing().ttftMs(), b.timing().ttftMs() / a.timing().ttftMs());
            }
            long perPosition = 2L * 4 * m.config().numLayers() * m.forwardPass().kvLayout().kvDim(); // engine KV: f32 K + V
            System.out.println("KV per conversation after each turn, and Flink state written per turn (every-turn tier, fp16 chunks):");
            System.out.println("turn | engine KV kept, all tokens | engine KV kept, reusable prefix | state written, whole KV | state written, appended");
            for (int i = 0; i < turns; i++) {
                System.out.printf("%4d | %17.1f KiB (%4d) | %22.1f KiB (%4d) | %18.1f KiB | %17.1f KiB%n", i + 1,
                        wave1.get(i)[0] * perPosition / 1024.0, wave1.get(i)[0], now.get(i)[0] * perPosition / 1024.0, now.get(i)[0],
                        wave1.get(i)[1] / 1024.0, now.get(i)[1] / 1024.0);
            }
        }
        return 0;
    }

    /**
     * Runs all turns; the answer's text (reasoning dropped by the template) goes into the history. With
     * {@code reusableOnly} each turn keeps only the prefix the next prompt shares and exports only the new part
     * (what the chat job does); otherwise the whole sequence is kept and exported (wave 1). {@code kv} gets, per
     * turn, {positions kept, state bytes written}.
     */
    private List<GenerationResult> conversation(BatchingEngine e, LoadedModel m, List<String> messages, String conv,
                                                boolean reusableOnly, List<long[]> kv) {
        List<ChatMessage> history = new ArrayList<>();
        List<GenerationResult> out = new ArrayList<>();
        int stored = 0;
        for (int i = 0; i < messages.size(); i++) {
            history.add(ChatMessage.user(messages.get(i)));
            int[] prompt = m.chatPrompt(null, history);
            SamplingParams p = new SamplingParams(0.6, 0, 0.95, 7L + i, genTokens, List.of());
            String id = (conv == null ? "off" : conv) + "-" + i;
            GenerationRequest req;
            if (reusableOnly && conv != null) {
                int retain = io.r1stream.engine.tokenizer.ReusablePrefix.length(t -> m.chatPrompt(null, t), history, prompt);
                req = new GenerationRequest(id, conv, prompt, p, retain, stored);
                GenerationResult r = e.submit(req).result().join();
                long bytes = r.kvChunks().stream().mapToLong(c -> c.sizeBytes()).sum();
                stored = retain;
                kv.add(new long[] {retain, bytes});
                out.add(r);
            } else {
                GenerationResult r = e.submit(new GenerationRequest(id, conv, prompt, p)).result().join();
                if (conv != null) {
                    List<io.r1stream.engine.kv.KvChunk> all = e.exportKv(conv);
                    kv.add(new long[] {all.stream().mapToLong(c -> c.length()).sum(), all.stream().mapToLong(c -> c.sizeBytes()).sum()});
                }
                out.add(r);
            }
            history.add(ChatMessage.assistant(out.get(i).text()));
        }
        if (conv != null) e.dropConversation(conv);
        return out;
    }

    private String message(LoadedModel m, SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        while (m.tokenizer().encode(sb.toString()).length < turnTokens) {
            for (int i = 0; i < 16; i++) sb.append(WORDS[rnd.nextInt(WORDS.length)]).append(' ');
        }
        return sb.toString().trim();
    }
}
