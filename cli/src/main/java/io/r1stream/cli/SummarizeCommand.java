package io.r1stream.cli;

import io.r1stream.jobs.SummarizeJob;
import io.r1stream.jobs.SummarizeJobOptions;
import io.r1stream.operators.summarize.SummaryProgress;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code r1stream summarize}: the bounded summarization job in a local Flink with the web UI. The same main
 * class ({@code io.r1stream.jobs.SummarizeJob}) takes the same flags under {@code flink run}.
 */
@Command(name = "summarize", mixinStandardHelpOptions = true,
        description = {"Summarize a folder (*.txt, *.md, recursively), a JSONL file (doc_id, text) or a Kafka offset range "
                + "into one JSONL line per document (doc_id, source, summary, chunks, reduce_levels, prompt_tokens, "
                + "completion_tokens, latency_ms, or error). A bounded Flink job in BATCH mode, run locally with the web UI.",
                "More job flags (see README): --input-topic T --bootstrap-servers H:P --start-offsets earliest|P:O,.. "
                        + "--end-offsets latest|P:O,.. --overlap-tokens N --reasoning off|on --max-reasoning-tokens N "
                        + "--temperature T --top-p P --seed S --max-attempts N --max-in-flight N --document-timeout 1h "
                        + "--threads N --max-running N --max-tokens-per-step N --kv-budget-mib N --weight-format auto|f32|bf16"})
public final class SummarizeCommand implements Callable<Integer> {
    @Option(names = "--input", paramLabel = "PATH", description = "a folder or a JSONL file (or use --input-topic)") String input;
    @Option(names = "--output", required = true, paramLabel = "PATH", description = "the JSONL file to write") Path output;
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory (Hugging Face layout)") Path model;
    @Option(names = "--parallelism", defaultValue = "1", description = "summarizing subtasks; all share one engine (default: ${DEFAULT-VALUE})") int parallelism;
    @Option(names = "--max-chunk-tokens", defaultValue = "1024", description = "text tokens per chunk (default: ${DEFAULT-VALUE})") int maxChunkTokens;
    @Option(names = "--max-summary-tokens", defaultValue = "256", description = "generated tokens per summary (default: ${DEFAULT-VALUE})") int maxSummaryTokens;
    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI / REST port; 0 = any free port (default: ${DEFAULT-VALUE})") int webUiPort;
    @Unmatched List<String> more = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(more);
        if (input != null) args.addAll(List.of("--input", input));
        args.addAll(List.of("--output", output.toString(), "--model", model.toString(), "--parallelism", Integer.toString(parallelism),
                "--max-chunk-tokens", Integer.toString(maxChunkTokens), "--max-summary-tokens", Integer.toString(maxSummaryTokens)));
        SummarizeJobOptions o = SummarizeJobOptions.fromArgs(args.toArray(String[]::new));
        Configuration conf = SummarizeJob.configuration(o);
        conf.set(RestOptions.PORT, webUiPort);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        SummarizeJob.build(env, o);
        System.out.println("summarize: " + (o.input() != null ? o.input() : "topic " + o.inputTopic()) + " -> " + o.output()
                + " ; Flink web UI on http://localhost:" + webUiPort);
        JobExecutionResult r = env.execute("r1stream-summarize");
        SummaryProgress p = SummaryProgress.shared();
        System.out.printf("summarize: %d documents (%d failed), %d chunks in %.1f s; wrote %s%n", p.documentsDone(), p.documentsFailed(),
                p.chunksDone(), r.getNetRuntime() / 1000.0, o.output());
        return p.documentsFailed() > 0 ? 1 : 0;
    }
}
