package io.r1stream.cli;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.model.LogitAgreement;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * What a weight format costs in accuracy and buys in speed, against the checkpoint's own precision
 * ({@code --baseline}, default auto) on the same tokens: max |logit diff|, mean KL divergence and greedy-token
 * agreement over every decoded position (see {@link LogitAgreement}), and decode tokens/s of both.
 */
@Command(name = "quality", mixinStandardHelpOptions = true,
        description = "Per weight format against the checkpoint's own precision: max |logit diff|, mean KL, greedy agreement, decode speed.")
final class BenchQuality implements Callable<Integer> {
    @Mixin EngineArgs engine;
    @Option(names = "--formats", split = ",", paramLabel = "F[,F...]",
            description = "formats to compare (default: the --weight-format value); ';' separates options, e.g. q4;keep=lm_head") List<String> formats;
    @Option(names = "--baseline", defaultValue = "auto", description = "reference format (default: ${DEFAULT-VALUE}: the checkpoint's own precision)") String baseline;
    @Option(names = "--prompts", defaultValue = "4", description = "seeded random prompts (default: ${DEFAULT-VALUE})") int prompts;
    @Option(names = "--prompt-tokens", defaultValue = "16", description = "tokens per prompt (default: ${DEFAULT-VALUE})") int promptTokens;
    @Option(names = "--positions", defaultValue = "32", description = "greedy positions compared per prompt (default: ${DEFAULT-VALUE})") int positions;

    @Override
    public Integer call() {
        System.out.println(MachineInfo.describe());
        List<String> fs = formats == null ? List.of(engine.weights) : joinFormats(formats);
        EngineOptions base = engine.options().withWeightFormat(baseline);
        try (LoadedModel b = LoadedModel.load(base)) {
            System.out.printf("model: %s, baseline %s (%s), %d thread(s), %d prompts x %d tokens, %d positions each%n", b.dir().getFileName(),
                    baseline, b.transformer().weights().format(), engine.threads, prompts, promptTokens, positions);
            System.out.println("format | bytes/token | positions | max |logit diff| | mean KL (nats) | greedy agreement | positions/s | baseline positions/s (each prompt's prefill included)");
            for (String f : fs) {
                try (LoadedModel c = LoadedModel.load(engine.options().withWeightFormat(f))) {
                    // warm-up: the JIT compiles the kernels before anything is timed
                    LogitAgreement.measure(b.transformer(), c.transformer(), b.tokenizer().vocabSize(), 1, promptTokens, 4, 1);
                    LogitAgreement a = LogitAgreement.measure(b.transformer(), c.transformer(), b.tokenizer().vocabSize(), prompts,
                            promptTokens, positions, 7);
                    System.out.printf("%s | %.1f MB | %d | %.4f | %.2e | %.1f%% | %.1f | %.1f%n", f, c.transformer().weights().bytesReadPerToken() / 1e6,
                            a.positions(), a.maxAbsDiff(), a.meanKl(), 100 * a.greedyAgreement(),
                            a.positions() / a.candidateSeconds(), a.positions() / a.baselineSeconds());
                }
            }
        }
        return 0;
    }

    /**
     * --formats split on commas, re-joined where a keep= list had commas of its own ("q4;keep=lm_head,down_proj"
     * arrives as two items); ';' becomes ':' (the option separator, which picocli would not mind either).
     */
    static List<String> joinFormats(List<String> items) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (String item : items) {
            String f = item.replace(';', ':');
            boolean startsFormat = f.matches("(?i)(auto|f32|bf16|int8|q4)(:.*)?");
            if (!startsFormat && !out.isEmpty() && out.get(out.size() - 1).contains("keep=")) out.set(out.size() - 1, out.get(out.size() - 1) + "," + f);
            else out.add(f);
        }
        return out;
    }
}
