package io.r1stream.jobs;

import io.r1stream.engine.EngineOptions;
import io.r1stream.operators.summarize.SummarizeOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that configures the summarization job. Parse the {@code flink run} / {@code r1stream summarize}
 * arguments with {@link #fromArgs(String[])}, or build with the record's {@code with...} methods.
 *
 * <table>
 *   <caption>Options (command-line flag, default, meaning)</caption>
 *   <tr><td>--input</td><td>(this or --input-topic)</td><td>a folder (recursively: *.txt, *.md) or a JSONL file
 *       ({@code {"doc_id":..., "text":...}} per line)</td></tr>
 *   <tr><td>--input-topic</td><td></td><td>a Kafka topic: JSON {@code doc_id}/{@code text} or plain-text values</td></tr>
 *   <tr><td>--bootstrap-servers</td><td>localhost:9092</td><td>with --input-topic</td></tr>
 *   <tr><td>--start-offsets</td><td>earliest</td><td>earliest | latest | committed | P:OFFSET,...</td></tr>
 *   <tr><td>--end-offsets</td><td>latest</td><td>latest (offsets at job start) | P:OFFSET,... (exclusive)</td></tr>
 *   <tr><td>--group-id</td><td>r1stream-summarize</td><td>consumer group of the topic source</td></tr>
 *   <tr><td>--output</td><td>(required)</td><td>JSONL file, one line per document; written as OUTPUT.inprogress
 *       and renamed when the job ends</td></tr>
 *   <tr><td>--model</td><td>(required)</td><td>model directory (Hugging Face layout)</td></tr>
 *   <tr><td>--parallelism</td><td>1</td><td>summarizing subtasks (all share one engine per TaskManager)</td></tr>
 *   <tr><td>--max-chunk-tokens</td><td>1024</td><td>text tokens per chunk and per reduce group</td></tr>
 *   <tr><td>--overlap-tokens</td><td>max-chunk-tokens / 8</td><td>tokens of trailing sentences repeated in the
 *       next chunk</td></tr>
 *   <tr><td>--max-summary-tokens</td><td>256</td><td>generated tokens per summary (at most half a chunk)</td></tr>
 *   <tr><td>--reasoning</td><td>off</td><td>off: an empty {@code <think></think>} block is prefilled, the model
 *       answers at once; on: it reasons first (reasoning cut from the summary)</td></tr>
 *   <tr><td>--max-reasoning-tokens</td><td>512</td><td>extra generated tokens with --reasoning on</td></tr>
 *   <tr><td>--temperature, --top-p</td><td>0.6, 0.95</td><td>sampling (DeepSeek's R1 recommendation)</td></tr>
 *   <tr><td>--seed</td><td>42</td><td>base of the per-request seeds: same input and seed, same output</td></tr>
 *   <tr><td>--max-attempts</td><td>2</td><td>tries per engine request before its document fails</td></tr>
 *   <tr><td>--max-in-flight</td><td>16</td><td>documents in the engine per subtask (async capacity)</td></tr>
 *   <tr><td>--document-timeout</td><td>1h</td><td>a document taking longer gets an error line</td></tr>
 *   <tr><td>--threads, --weight-format, --kv-budget-mib, --max-running, --max-tokens-per-step</td>
 *       <td>1, auto, 512, 32, 512</td><td>engine (as in the chat job); --max-running 1 turns batching off</td></tr>
 * </table>
 */
public record SummarizeJobOptions(String input, String inputTopic, String bootstrapServers, String startOffsets,
                                  String endOffsets, String groupId, String output, EngineOptions engine,
                                  SummarizeOptions summarize, int parallelism, int maxInFlight, Duration documentTimeout) {

    public SummarizeJobOptions {
        if ((input == null) == (inputTopic == null)) {
            throw new IllegalArgumentException("give exactly one of --input (a folder or a JSONL file) and --input-topic");
        }
        Objects.requireNonNull(output, "--output is required: the JSONL file to write");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(summarize, "summarize");
        if (parallelism < 1) throw new IllegalArgumentException("--parallelism must be >= 1, got " + parallelism);
        if (maxInFlight < 1) throw new IllegalArgumentException("--max-in-flight must be >= 1, got " + maxInFlight);
        if (documentTimeout.isNegative() || documentTimeout.isZero()) {
            throw new IllegalArgumentException("--document-timeout must be positive, got " + documentTimeout);
        }
    }

    /** A folder or JSONL input with every other option at its default. */
    public static SummarizeJobOptions of(Path input, Path output, Path model) {
        return new SummarizeJobOptions(input.toString(), null, "localhost:9092", "earliest", "latest", "r1stream-summarize",
                output.toString(), EngineOptions.defaults(model.toAbsolutePath().normalize()), SummarizeOptions.defaults(),
                1, 16, Duration.ofHours(1));
    }

    public SummarizeJobOptions withSummarize(SummarizeOptions s) {
        return new SummarizeJobOptions(input, inputTopic, bootstrapServers, startOffsets, endOffsets, groupId, output, engine, s, parallelism, maxInFlight, documentTimeout);
    }

    public SummarizeJobOptions withEngine(EngineOptions e) {
        return new SummarizeJobOptions(input, inputTopic, bootstrapServers, startOffsets, endOffsets, groupId, output, e, summarize, parallelism, maxInFlight, documentTimeout);
    }

    public SummarizeJobOptions withParallelism(int p) {
        return new SummarizeJobOptions(input, inputTopic, bootstrapServers, startOffsets, endOffsets, groupId, output, engine, summarize, p, maxInFlight, documentTimeout);
    }

    public SummarizeJobOptions withOutput(Path out) {
        return new SummarizeJobOptions(input, inputTopic, bootstrapServers, startOffsets, endOffsets, groupId, out.toString(), engine, summarize, parallelism, maxInFlight, documentTimeout);
    }

    public SummarizeJobOptions withTopic(String servers, String topic, String start, String end) {
        return new SummarizeJobOptions(null, topic, servers, start, end, groupId, output, engine, summarize, parallelism, maxInFlight, documentTimeout);
    }

    /** Parses {@code --flag value} / {@code --flag=value} pairs (see the table above). */
    public static SummarizeJobOptions fromArgs(String[] args) {
        Map<String, String> raw = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + a + "'; flags look like --input PATH");
            int eq = a.indexOf('=');
            if (eq > 0) {
                raw.put(a.substring(2, eq), a.substring(eq + 1));
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("flag " + a + " needs a value");
                raw.put(a.substring(2), args[++i]);
            }
        }
        String model = raw.remove("model");
        if (model == null) throw new IllegalArgumentException("--model is required: the model directory (Hugging Face layout)");
        EngineOptions e = EngineOptions.defaults(Path.of(model).toAbsolutePath().normalize());
        SummarizeOptions d = SummarizeOptions.defaults();
        int chunk = d.maxChunkTokens(), summary = d.maxSummaryTokens(), reasoningTokens = d.maxReasoningTokens(), attempts = d.maxAttempts();
        boolean thinking = d.thinking();
        double temperature = d.temperature(), topP = d.topP();
        long seed = d.seed();
        long kv = e.kvBudgetBytes();
        int running = e.maxRunning(), perStep = e.maxTokensPerStep();
        String input = null, topic = null, servers = "localhost:9092", start = "earliest", end = "latest";
        String group = "r1stream-summarize", output = null;
        int parallelism = 1, inFlight = 16;
        Integer overlap = null;
        Duration timeout = Duration.ofHours(1);
        for (Map.Entry<String, String> f : raw.entrySet()) {
            String k = f.getKey(), v = f.getValue();
            switch (k) {
                case "input" -> input = v;
                case "input-topic" -> topic = v;
                case "bootstrap-servers" -> servers = v;
                case "start-offsets" -> start = v;
                case "end-offsets" -> end = v;
                case "group-id" -> group = v;
                case "output" -> output = v;
                case "parallelism" -> parallelism = ChatJobOptions.parseInt(k, v);
                case "max-chunk-tokens" -> chunk = ChatJobOptions.parseInt(k, v);
                case "overlap-tokens" -> overlap = ChatJobOptions.parseInt(k, v);
                case "max-summary-tokens" -> summary = ChatJobOptions.parseInt(k, v);
                case "reasoning" -> thinking = parseOnOff(k, v);
                case "max-reasoning-tokens" -> reasoningTokens = ChatJobOptions.parseInt(k, v);
                case "temperature" -> temperature = parseDouble(k, v);
                case "top-p" -> topP = parseDouble(k, v);
                case "seed" -> seed = parseLong(k, v);
                case "max-attempts" -> attempts = ChatJobOptions.parseInt(k, v);
                case "max-in-flight" -> inFlight = ChatJobOptions.parseInt(k, v);
                case "document-timeout" -> timeout = ChatJobOptions.parseDuration(k, v);
                case "threads" -> e = e.withThreads(ChatJobOptions.parseInt(k, v));
                case "weight-format" -> e = e.withWeightFormat(v);
                case "device" -> e = e.withDevice(v);
                case "kv-budget-mib" -> kv = ChatJobOptions.parseInt(k, v) * EngineOptions.MIB;
                case "max-running" -> running = ChatJobOptions.parseInt(k, v);
                case "max-tokens-per-step" -> perStep = ChatJobOptions.parseInt(k, v);
                default -> throw new IllegalArgumentException("unknown flag --" + k + "; known: --input, --input-topic, "
                        + "--bootstrap-servers, --start-offsets, --end-offsets, --group-id, --output, --model, --parallelism, "
                        + "--max-chunk-tokens, --overlap-tokens, --max-summary-tokens, --reasoning, --max-reasoning-tokens, "
                        + "--temperature, --top-p, --seed, --max-attempts, --max-in-flight, --document-timeout, --device, --threads, "
                        + "--weight-format, --kv-budget-mib, --max-running, --max-tokens-per-step");
            }
        }
        SummarizeOptions s = new SummarizeOptions(chunk, overlap != null ? overlap : chunk / 8, summary, thinking,
                reasoningTokens, temperature, topP, seed, attempts);
        e = e.withKvBudget(kv, e.hostKvBudgetBytes()).withLimits(running, perStep);
        return new SummarizeJobOptions(input, topic, servers, start, end, group, output, e, s, parallelism, inFlight, timeout);
    }

    private static boolean parseOnOff(String flag, String v) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new IllegalArgumentException("--" + flag + " must be on or off, got '" + v + "'");
        };
    }

    private static long parseLong(String flag, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("--" + flag + " must be a whole number, got '" + v + "'");
        }
    }

    private static double parseDouble(String flag, String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("--" + flag + " must be a number, got '" + v + "'");
        }
    }
}
