package io.r1stream.jobs;

import io.r1stream.connectors.kafka.KafkaTopology;
import io.r1stream.connectors.prompt.PromptLimits;
import io.r1stream.engine.EngineOptions;
import io.r1stream.operators.ContextPolicy;
import io.r1stream.operators.ConversationOptions;
import io.r1stream.operators.EngineFactory;
import io.r1stream.operators.DeltaOptions;
import io.r1stream.operators.KvStateTier;
import io.r1stream.operators.SharedEngineFactory;
import io.r1stream.operators.remote.RemoteEngineFactory;
import io.r1stream.remote.RemoteOptions;

import org.apache.flink.connector.base.DeliveryGuarantee;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.BiConsumer;

/**
 * Everything that configures the chat job, in one place. Build with {@link #builder(Path)} or parse the
 * {@code flink run} arguments with {@link #fromArgs(String[])}:
 *
 * <pre>{@code
 * ChatJobOptions o = ChatJobOptions.builder(Path.of("models/tiny"))
 *         .bootstrapServers("localhost:9092").checkpointDir("file:///tmp/r1stream-ckpt").build();
 * }</pre>
 *
 * <table>
 *   <caption>Options (command-line flag, default, meaning)</caption>
 *   <tr><td>--bootstrap-servers</td><td>localhost:9092</td><td>Kafka brokers</td></tr>
 *   <tr><td>--prompts-topic, --results-topic, --dlq-topic, --metrics-topic</td><td>prompts, results,
 *       prompts.dlq, metrics</td><td>topics</td></tr>
 *   <tr><td>--group-id</td><td>r1stream-chat</td><td>consumer group of the prompts source</td></tr>
 *   <tr><td>--starting-offsets</td><td>earliest</td><td>earliest | latest | committed (without a checkpoint)</td></tr>
 *   <tr><td>--model</td><td>(required)</td><td>model directory (Hugging Face layout)</td></tr>
 *   <tr><td>--device</td><td>cpu</td><td>cpu | gpu | auto: where the engine's forward step runs</td></tr>
 *   <tr><td>--threads</td><td>1</td><td>engine matmul threads</td></tr>
 *   <tr><td>--kv-budget-mib, --host-kv-budget-mib</td><td>512, 256</td><td>engine / host KV memory, MiB</td></tr>
 *   <tr><td>--max-running, --max-tokens-per-step</td><td>32, 512</td><td>engine batch limits</td></tr>
 *   <tr><td>--weight-format</td><td>auto</td><td>auto | f32 | bf16 | int8 | q4 (with options, see the README)</td></tr>
 *   <tr><td>--checkpoint-dir</td><td>(none: in JobManager memory)</td><td>checkpoint storage URI or path;
 *       retained on cancellation</td></tr>
 *   <tr><td>--checkpoint-interval</td><td>10s</td><td>also the extra latency of exactly-once results</td></tr>
 *   <tr><td>--delivery</td><td>exactly-once</td><td>exactly-once | at-least-once (deduplicate by request_id)</td></tr>
 *   <tr><td>--transactional-id-prefix</td><td>r1stream-chat</td><td>stable across restarts; sinks append
 *       -results, -dlq, -metrics</td></tr>
 *   <tr><td>--kv-state-tier</td><td>off</td><td>off | on-evict | every-turn</td></tr>
 *   <tr><td>--idle-ttl</td><td>1h</td><td>forget conversations idle this long; 0 = never</td></tr>
 *   <tr><td>--parallelism</td><td>1</td><td>job parallelism (max parallelism is 128)</td></tr>
 *   <tr><td>--metrics-window</td><td>10s</td><td>window of the metrics topic aggregates</td></tr>
 *   <tr><td>--max-in-flight</td><td>64</td><td>turns in the engine per subtask before backpressure</td></tr>
 *   <tr><td>--max-message-tokens</td><td>4096</td><td>longer messages go to the DLQ</td></tr>
 *   <tr><td>--resume</td><td>false</td><td>true: restore from the newest retained checkpoint under
 *       --checkpoint-dir; a path: restore from that checkpoint or savepoint</td></tr>
 *   <tr><td>--restart-attempts, --restart-delay</td><td>10, 1s</td><td>fixed-delay restart strategy</td></tr>
 *   <tr><td>--transaction-timeout</td><td>15min</td><td>{@code transaction.timeout.ms} of the exactly-once sinks; at
 *       most the broker's {@code transaction.max.timeout.ms}; checked against the checkpoint settings at start</td></tr>
 *   <tr><td>--checkpoint-timeout</td><td>3min</td><td>a checkpoint not complete by then fails</td></tr>
 *   <tr><td>--tolerable-failed-checkpoints</td><td>3</td><td>consecutive failed checkpoints before the job restarts</td></tr>
 *   <tr><td>--unaligned-checkpoints</td><td>true</td><td>barriers overtake queued prompts, so a checkpoint does not wait
 *       behind a slow model's backlog</td></tr>
 *   <tr><td>--aligned-checkpoint-timeout</td><td>0s</td><td>with unaligned checkpoints: start aligned and switch to
 *       unaligned after this long (0 = unaligned at once)</td></tr>
 *   <tr><td>--restart-recovery-time</td><td>1min</td><td>how long a restart takes to restore state and resume (the
 *       transaction timeout must cover it, see DeliverySafety)</td></tr>
 *   <tr><td>--buffer-debloat</td><td>true</td><td>Flink's buffer debloating: less in-flight data in network buffers</td></tr>
 *   <tr><td>--kafka-property KEY=VALUE</td><td>(none)</td><td>repeatable; a Kafka client property for the source
 *       and every sink (SASL/SSL, client ids); values are never printed</td></tr>
 *   <tr><td>--kafka-properties FILE</td><td>(none)</td><td>a Java properties file of such client properties
 *       (--kafka-property wins)</td></tr>
 *   <tr><td>--turn-timeout</td><td>10min</td><td>a turn not answered this long ends as an error result; 0 = never</td></tr>
 *   <tr><td>--max-waiting-turns</td><td>16</td><td>turns queued per conversation; more go to the DLQ
 *       ({@code conversation_queue_full})</td></tr>
 *   <tr><td>--context-policy</td><td>drop-oldest</td><td>drop-oldest | error: a conversation outgrowing the context</td></tr>
 *   <tr><td>--dedup-window</td><td>32</td><td>answered request ids remembered per conversation (duplicates get the
 *       stored answer)</td></tr>
 *   <tr><td>--deltas-topic</td><td>(none: off)</td><td>partial answers while they are generated, written at once
 *       (at-least-once, outside the checkpoint's transaction), keyed by conversation_id</td></tr>
 *   <tr><td>--delta-interval, --delta-tokens</td><td>50ms, 0</td><td>coalescing: a delta at most every interval, or
 *       after this many tokens (0 = no token limit); the first text of a turn goes out at once</td></tr>
 *   <tr><td>--max-tokens-limit, --default-max-tokens, --max-message-chars</td><td>4096, 1024, 32768</td><td>prompt
 *       validation (PromptLimits): largest accepted max_tokens, max_tokens when absent, longest message</td></tr>
 *   <tr><td>--backend</td><td>local</td><td>local (the in-process engine) | openai (OpenAI-compatible endpoints: vLLM,
 *       SGLang, the DeepSeek API, r1stream serve; --model then only supplies tokenizer.json and config.json)</td></tr>
 *   <tr><td>--endpoint URL</td><td>(none)</td><td>repeatable, with --backend openai: base URLs such as
 *       http://10.0.0.5:8000/v1, replicas of one model (conversations are spread by consistent hashing)</td></tr>
 *   <tr><td>--endpoint-model</td><td>(required with openai)</td><td>the {@code model} name the endpoints serve</td></tr>
 *   <tr><td>--api-key-env VAR</td><td>(none)</td><td>environment variable (on the TaskManagers) holding the bearer token</td></tr>
 *   <tr><td>--endpoint-max-in-flight</td><td>32</td><td>requests at once per endpoint and subtask; more wait</td></tr>
 * </table>
 * Durations: {@code 500ms}, {@code 10s}, {@code 5min}, {@code 1h} or plain milliseconds.
 */
public final class ChatJobOptions {
    private final Map<String, Object> v;

    private ChatJobOptions(Map<String, Object> values) { this.v = Map.copyOf(values); }

    public String bootstrapServers() { return (String) v.get("bootstrap-servers"); }
    public String promptsTopic() { return (String) v.get("prompts-topic"); }
    public String resultsTopic() { return (String) v.get("results-topic"); }
    public String deadLetterTopic() { return (String) v.get("dlq-topic"); }
    public String metricsTopic() { return (String) v.get("metrics-topic"); }
    public String groupId() { return (String) v.get("group-id"); }
    public String startingOffsets() { return (String) v.get("starting-offsets"); }
    public EngineOptions engine() { return (EngineOptions) v.get("engine"); }
    /** Null when checkpoints stay in JobManager memory. */
    public String checkpointDir() { return (String) v.get("checkpoint-dir"); }
    public Duration checkpointInterval() { return (Duration) v.get("checkpoint-interval"); }
    public DeliveryGuarantee delivery() { return (DeliveryGuarantee) v.get("delivery"); }
    public String transactionalIdPrefix() { return (String) v.get("transactional-id-prefix"); }
    public KvStateTier kvTier() { return (KvStateTier) v.get("kv-state-tier"); }
    public Duration idleTtl() { return (Duration) v.get("idle-ttl"); }
    public int parallelism() { return (Integer) v.get("parallelism"); }
    public Duration metricsWindow() { return (Duration) v.get("metrics-window"); }
    public int maxInFlight() { return (Integer) v.get("max-in-flight"); }
    public int maxMessageTokens() { return (Integer) v.get("max-message-tokens"); }
    /** "false" (fresh start), "true" (newest retained checkpoint under checkpointDir) or a path. */
    public String resume() { return (String) v.get("resume"); }
    public int restartAttempts() { return (Integer) v.get("restart-attempts"); }
    public Duration restartDelay() { return (Duration) v.get("restart-delay"); }
    public Duration transactionTimeout() { return (Duration) v.get("transaction-timeout"); }
    public Duration checkpointTimeout() { return (Duration) v.get("checkpoint-timeout"); }
    public int tolerableFailedCheckpoints() { return (Integer) v.get("tolerable-failed-checkpoints"); }
    public boolean unalignedCheckpoints() { return (Boolean) v.get("unaligned-checkpoints"); }
    public Duration alignedCheckpointTimeout() { return (Duration) v.get("aligned-checkpoint-timeout"); }
    public boolean bufferDebloat() { return (Boolean) v.get("buffer-debloat"); }
    /** How long a restart takes to restore and resume; part of what a Kafka transaction must outlive. */
    public Duration restartRecoveryTime() { return (Duration) v.get("restart-recovery-time"); }
    public Duration turnTimeout() { return (Duration) v.get("turn-timeout"); }
    public int maxWaitingTurns() { return (Integer) v.get("max-waiting-turns"); }
    public ContextPolicy contextPolicy() { return (ContextPolicy) v.get("context-policy"); }
    public int dedupWindow() { return (Integer) v.get("dedup-window"); }
    public PromptLimits promptLimits() { return (PromptLimits) v.get("prompt-limits"); }
    /** The OpenAI-compatible endpoints with {@code --backend openai}; null for the in-process engine. */
    public RemoteOptions remoteBackend() { return (RemoteOptions) v.get("remote-backend"); }

    /** Where the conversation operator's turns run: the shared in-process engine, or the remote endpoints. */
    public EngineFactory engineFactory() {
        RemoteOptions r = remoteBackend();
        return r == null ? new SharedEngineFactory(engine()) : new RemoteEngineFactory(r, engine().modelDir());
    }

    /** Null when deltas are off. */
    public String deltasTopic() { return (String) v.get("deltas-topic"); }
    public DeltaOptions deltaOptions() {
        Duration interval = (Duration) v.get("delta-interval");
        int tokens = (Integer) v.get("delta-tokens");
        return deltasTopic() == null ? new DeltaOptions(false, interval, tokens) : DeltaOptions.every(interval, tokens);
    }

    /** Kafka client properties for the source and the sinks (may hold secrets: never print the values). */
    @SuppressWarnings("unchecked")
    public Properties kafkaProperties() {
        Properties p = new Properties();
        p.putAll((Map<String, String>) v.get("kafka-properties"));
        return p;
    }

    public ConversationOptions conversationOptions() {
        return new ConversationOptions(maxInFlight(), maxMessageTokens(), idleTtl(), kvTier(), promptsTopic(),
                turnTimeout(), maxWaitingTurns(), contextPolicy(), dedupWindow());
    }

    public Builder toBuilder() { return new Builder(v); }

    public static Builder builder(Path modelDir) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("bootstrap-servers", "localhost:9092");
        d.put("prompts-topic", "prompts");
        d.put("results-topic", "results");
        d.put("dlq-topic", "prompts.dlq");
        d.put("metrics-topic", "metrics");
        d.put("group-id", "r1stream-chat");
        d.put("starting-offsets", "earliest");
        d.put("engine", EngineOptions.defaults(Objects.requireNonNull(modelDir, "modelDir")));
        d.put("checkpoint-interval", Duration.ofSeconds(10));
        d.put("delivery", DeliveryGuarantee.EXACTLY_ONCE);
        d.put("transactional-id-prefix", "r1stream-chat");
        d.put("kv-state-tier", KvStateTier.OFF);
        d.put("idle-ttl", Duration.ofHours(1));
        d.put("parallelism", 1);
        d.put("metrics-window", Duration.ofSeconds(10));
        d.put("max-in-flight", 64);
        d.put("max-message-tokens", 4096);
        d.put("resume", "false");
        d.put("restart-attempts", 10);
        d.put("restart-delay", Duration.ofSeconds(1));
        d.put("transaction-timeout", KafkaTopology.DEFAULT_TRANSACTION_TIMEOUT);
        d.put("checkpoint-timeout", Duration.ofMinutes(3));
        d.put("tolerable-failed-checkpoints", 3);
        d.put("unaligned-checkpoints", true);
        d.put("aligned-checkpoint-timeout", Duration.ZERO);
        d.put("buffer-debloat", true);
        d.put("restart-recovery-time", Duration.ofMinutes(1));
        d.put("turn-timeout", Duration.ofMinutes(10));
        d.put("max-waiting-turns", 16);
        d.put("context-policy", ContextPolicy.DROP_OLDEST);
        d.put("dedup-window", 32);
        d.put("prompt-limits", PromptLimits.defaults());
        d.put("kafka-properties", Map.of());
        d.put("delta-interval", Duration.ofMillis(50));
        d.put("delta-tokens", 0);
        return new Builder(d);
    }

    /** Parses {@code --flag value} / {@code --flag=value} pairs (see the table above). */
    public static ChatJobOptions fromArgs(String[] args) {
        Map<String, String> raw = new LinkedHashMap<>();
        Map<String, String> kafka = new LinkedHashMap<>();
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; flags look like --model DIR");
            }
            int eq = a.indexOf('=');
            String name, value;
            if (eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("flag " + a + " needs a value");
                name = a.substring(2);
                value = args[++i];
            }
            if (name.equals("endpoint")) { // repeatable
                endpoints.add(value);
            } else if (name.equals("kafka-property")) { // repeatable
                int kv = value.indexOf('=');
                if (kv <= 0) {
                    throw new IllegalArgumentException("--kafka-property needs KEY=VALUE, e.g. --kafka-property "
                            + "security.protocol=SASL_SSL; got '" + name + "' without '='");
                }
                kafka.put(value.substring(0, kv).trim(), value.substring(kv + 1));
            } else {
                raw.put(name, value);
            }
        }
        String file = raw.remove("kafka-properties");
        RemoteOptions remote = remoteBackend(raw.remove("backend"), endpoints, raw.remove("endpoint-model"),
                raw.remove("api-key-env"), raw.remove("endpoint-max-in-flight"));
        String model = raw.remove("model");
        if (model == null) throw new IllegalArgumentException("--model is required: the model directory (Hugging Face layout)");
        Builder b = builder(Path.of(model));
        EngineOptions e = b.engine();
        long kv = e.kvBudgetBytes(), host = e.hostKvBudgetBytes();
        int running = e.maxRunning(), perStep = e.maxTokensPerStep();
        for (Map.Entry<String, String> f : raw.entrySet()) {
            String val = f.getValue();
            switch (f.getKey()) {
                case "threads" -> e = e.withThreads(parseInt(f.getKey(), val));
                case "weight-format" -> e = e.withWeightFormat(val);
                case "device" -> e = e.withDevice(val);
                case "kv-budget-mib" -> kv = parseInt(f.getKey(), val) * EngineOptions.MIB;
                case "host-kv-budget-mib" -> host = parseInt(f.getKey(), val) * EngineOptions.MIB;
                case "max-running" -> running = parseInt(f.getKey(), val);
                case "max-tokens-per-step" -> perStep = parseInt(f.getKey(), val);
                default -> {
                    BiConsumer<Builder, String> setter = SETTERS.get(f.getKey());
                    if (setter == null) {
                        throw new IllegalArgumentException("unknown flag --" + f.getKey() + "; known: --model, --device, --threads, "
                                + "--weight-format, --kv-budget-mib, --host-kv-budget-mib, --max-running, "
                                + "--max-tokens-per-step, --backend, --endpoint, --endpoint-model, --api-key-env, --endpoint-max-in-flight, --"
                                + String.join(", --", SETTERS.keySet()));
                    }
                    setter.accept(b, val);
                }
            }
        }
        Map<String, String> props = new LinkedHashMap<>();
        if (file != null) props.putAll(readProperties(file));
        props.putAll(kafka);
        b.kafkaProperties(props);
        if (remote != null) b.remoteBackend(remote);
        return b.engine(e.withKvBudget(kv, host).withLimits(running, perStep)).build();
    }

    /** The {@code --backend openai} settings, or null for {@code local}; mixed-up flags say what to fix. */
    static RemoteOptions remoteBackend(String backend, List<String> endpoints, String model, String apiKeyEnv, String maxInFlight) {
        String kind = backend == null ? "local" : backend.trim().toLowerCase(Locale.ROOT);
        if (kind.equals("local")) {
            if (!endpoints.isEmpty() || model != null || apiKeyEnv != null || maxInFlight != null) {
                throw new IllegalArgumentException("--endpoint, --endpoint-model, --api-key-env and --endpoint-max-in-flight "
                        + "are for --backend openai; add --backend openai or leave them out");
            }
            return null;
        }
        if (!kind.equals("openai")) throw new IllegalArgumentException("--backend must be local or openai, got '" + backend + "'");
        RemoteOptions r = RemoteOptions.defaults(endpoints, model).withApiKeyEnv(apiKeyEnv);
        if (maxInFlight != null) r = r.withMaxInFlightPerEndpoint(parseInt("endpoint-max-in-flight", maxInFlight));
        return r;
    }

    static Map<String, String> readProperties(String file) {
        Properties p = new Properties();
        try (var in = java.nio.file.Files.newBufferedReader(Path.of(file))) {
            p.load(in);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--kafka-properties " + file + " cannot be read (" + e.getMessage()
                    + "); pass a Java properties file of Kafka client settings, e.g. security.protocol=SASL_SSL");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) out.put(k, p.getProperty(k));
        return out;
    }

    private static final Map<String, BiConsumer<Builder, String>> SETTERS = new LinkedHashMap<>();
    static {
        SETTERS.put("bootstrap-servers", Builder::bootstrapServers);
        SETTERS.put("prompts-topic", Builder::promptsTopic);
        SETTERS.put("results-topic", Builder::resultsTopic);
        SETTERS.put("dlq-topic", Builder::deadLetterTopic);
        SETTERS.put("metrics-topic", Builder::metricsTopic);
        SETTERS.put("group-id", Builder::groupId);
        SETTERS.put("starting-offsets", Builder::startingOffsets);
        SETTERS.put("checkpoint-dir", Builder::checkpointDir);
        SETTERS.put("checkpoint-interval", (b, s) -> b.checkpointInterval(parseDuration("checkpoint-interval", s)));
        SETTERS.put("delivery", (b, s) -> b.delivery(parseDelivery(s)));
        SETTERS.put("transactional-id-prefix", Builder::transactionalIdPrefix);
        SETTERS.put("kv-state-tier", (b, s) -> b.kvTier(KvStateTier.parse(s)));
        SETTERS.put("idle-ttl", (b, s) -> b.idleTtl(parseDuration("idle-ttl", s)));
        SETTERS.put("parallelism", (b, s) -> b.parallelism(parseInt("parallelism", s)));
        SETTERS.put("metrics-window", (b, s) -> b.metricsWindow(parseDuration("metrics-window", s)));
        SETTERS.put("max-in-flight", (b, s) -> b.maxInFlight(parseInt("max-in-flight", s)));
        SETTERS.put("max-message-tokens", (b, s) -> b.maxMessageTokens(parseInt("max-message-tokens", s)));
        SETTERS.put("resume", Builder::resume);
        SETTERS.put("restart-attempts", (b, s) -> b.restartAttempts(parseInt("restart-attempts", s)));
        SETTERS.put("restart-delay", (b, s) -> b.restartDelay(parseDuration("restart-delay", s)));
        SETTERS.put("transaction-timeout", (b, s) -> b.transactionTimeout(parseDuration("transaction-timeout", s)));
        SETTERS.put("checkpoint-timeout", (b, s) -> b.checkpointTimeout(parseDuration("checkpoint-timeout", s)));
        SETTERS.put("tolerable-failed-checkpoints", (b, s) -> b.set("tolerable-failed-checkpoints", parseInt("tolerable-failed-checkpoints", s)));
        SETTERS.put("unaligned-checkpoints", (b, s) -> b.unalignedCheckpoints(parseBoolean("unaligned-checkpoints", s)));
        SETTERS.put("aligned-checkpoint-timeout", (b, s) -> b.set("aligned-checkpoint-timeout", parseDuration("aligned-checkpoint-timeout", s)));
        SETTERS.put("restart-recovery-time", (b, s) -> b.set("restart-recovery-time", parseDuration("restart-recovery-time", s)));
        SETTERS.put("buffer-debloat", (b, s) -> b.set("buffer-debloat", parseBoolean("buffer-debloat", s)));
        SETTERS.put("turn-timeout", (b, s) -> b.turnTimeout(parseDuration("turn-timeout", s)));
        SETTERS.put("max-waiting-turns", (b, s) -> b.set("max-waiting-turns", parseInt("max-waiting-turns", s)));
        SETTERS.put("context-policy", (b, s) -> b.set("context-policy", ContextPolicy.parse(s)));
        SETTERS.put("dedup-window", (b, s) -> b.set("dedup-window", parseInt("dedup-window", s)));
        SETTERS.put("max-tokens-limit", (b, s) -> b.promptLimits(b.promptLimits().withMaxTokensLimit(parseInt("max-tokens-limit", s))));
        SETTERS.put("default-max-tokens", (b, s) -> b.promptLimits(b.promptLimits().withDefaultMaxTokens(parseInt("default-max-tokens", s))));
        SETTERS.put("max-message-chars", (b, s) -> b.promptLimits(b.promptLimits().withMaxMessageChars(parseInt("max-message-chars", s))));
        SETTERS.put("deltas-topic", Builder::deltasTopic);
        SETTERS.put("delta-interval", (b, s) -> b.set("delta-interval", parseDuration("delta-interval", s)));
        SETTERS.put("delta-tokens", (b, s) -> b.set("delta-tokens", parseInt("delta-tokens", s)));
        SETTERS.put("kafka-property", (b, s) -> { throw new AssertionError("handled in fromArgs"); });
        SETTERS.put("kafka-properties", (b, s) -> { throw new AssertionError("handled in fromArgs"); });
    }

    static boolean parseBoolean(String flag, String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw new IllegalArgumentException("--" + flag + " must be true or false, got '" + s + "'");
        };
    }

    static int parseInt(String flag, String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + " must be a whole number, got '" + s + "'");
        }
    }

    static Duration parseDuration(String flag, String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            if (t.endsWith("min")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 3)));
            if (t.endsWith("s")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("h")) return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            return Duration.ofMillis(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + " must be a duration like 500ms, 10s, 5min or 1h, got '" + s + "'");
        }
    }

    static DeliveryGuarantee parseDelivery(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
            case "at-least-once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            default -> throw new IllegalArgumentException("--delivery must be exactly-once or at-least-once, got '" + s + "'");
        };
    }

    /** Fluent builder; {@link #build()} checks the combination. */
    public static final class Builder {
        private final Map<String, Object> v;

        private Builder(Map<String, Object> values) { this.v = new LinkedHashMap<>(values); }

        EngineOptions engine() { return (EngineOptions) v.get("engine"); }

        public Builder bootstrapServers(String s) { v.put("bootstrap-servers", s); return this; }
        public Builder promptsTopic(String s) { v.put("prompts-topic", s); return this; }
        public Builder resultsTopic(String s) { v.put("results-topic", s); return this; }
        public Builder deadLetterTopic(String s) { v.put("dlq-topic", s); return this; }
        public Builder metricsTopic(String s) { v.put("metrics-topic", s); return this; }
        public Builder groupId(String s) { v.put("group-id", s); return this; }
        public Builder startingOffsets(String s) { v.put("starting-offsets", s); return this; }
        public Builder engine(EngineOptions e) { v.put("engine", Objects.requireNonNull(e)); return this; }
        /** A URI ({@code file:///...}, {@code s3://...}) or a local path. */
        public Builder checkpointDir(String s) {
            if (s == null) v.remove("checkpoint-dir");
            else v.put("checkpoint-dir", s.contains("://") ? s : Path.of(s).toAbsolutePath().toUri().toString());
            return this;
        }
        public Builder checkpointInterval(Duration d) { v.put("checkpoint-interval", d); return this; }
        public Builder delivery(DeliveryGuarantee g) { v.put("delivery", g); return this; }
        public Builder transactionalIdPrefix(String s) { v.put("transactional-id-prefix", s); return this; }
        public Builder kvTier(KvStateTier t) { v.put("kv-state-tier", t); return this; }
        public Builder idleTtl(Duration d) { v.put("idle-ttl", d); return this; }
        public Builder parallelism(int p) { v.put("parallelism", p); return this; }
        public Builder metricsWindow(Duration d) { v.put("metrics-window", d); return this; }
        public Builder maxInFlight(int n) { v.put("max-in-flight", n); return this; }
        public Builder maxMessageTokens(int n) { v.put("max-message-tokens", n); return this; }
        /** "false", "true" (newest retained checkpoint under the checkpoint dir) or a checkpoint path. */
        public Builder resume(String s) { v.put("resume", s == null ? "false" : s); return this; }
        public Builder restartAttempts(int n) { v.put("restart-attempts", n); return this; }
        public Builder restartDelay(Duration d) { v.put("restart-delay", d); return this; }
        public Builder transactionTimeout(Duration d) { v.put("transaction-timeout", d); return this; }
        public Builder checkpointTimeout(Duration d) { v.put("checkpoint-timeout", d); return this; }
        public Builder unalignedCheckpoints(boolean on) { v.put("unaligned-checkpoints", on); return this; }
        public Builder turnTimeout(Duration d) { v.put("turn-timeout", d); return this; }
        public Builder promptLimits(PromptLimits l) { v.put("prompt-limits", Objects.requireNonNull(l)); return this; }
        PromptLimits promptLimits() { return (PromptLimits) v.get("prompt-limits"); }
        /** Turns go to OpenAI-compatible endpoints instead of the in-process engine. */
        public Builder remoteBackend(RemoteOptions r) { v.put("remote-backend", Objects.requireNonNull(r)); return this; }
        public Builder kafkaProperties(Map<String, String> p) { v.put("kafka-properties", Map.copyOf(p)); return this; }
        /** Partial answers to this topic while they are generated; null = off. */
        public Builder deltasTopic(String topic) {
            if (topic == null || topic.isBlank()) v.remove("deltas-topic");
            else v.put("deltas-topic", topic);
            return this;
        }
        /** Any option by its flag name (typed value), for the less common ones. */
        public Builder set(String flag, Object value) { v.put(flag, Objects.requireNonNull(value)); return this; }

        public ChatJobOptions build() {
            int p = (Integer) v.get("parallelism");
            if (p < 1 || p > ChatJob.MAX_PARALLELISM) {
                throw new IllegalArgumentException("parallelism must be in 1.." + ChatJob.MAX_PARALLELISM + ", got " + p);
            }
            Duration interval = (Duration) v.get("checkpoint-interval");
            if (interval.toMillis() < 10) {
                throw new IllegalArgumentException("checkpoint interval " + interval + " is too short; use at least 10ms "
                        + "(exactly-once results become visible once per interval)");
            }
            if (((Duration) v.get("metrics-window")).toMillis() < 1) {
                throw new IllegalArgumentException("metrics window must be positive, e.g. 10s");
            }
            if ("true".equals(v.get("resume")) && !v.containsKey("checkpoint-dir")) {
                throw new IllegalArgumentException("--resume true looks for retained checkpoints under --checkpoint-dir; "
                        + "set --checkpoint-dir or pass the checkpoint path to --resume");
            }
            if (v.get("delivery") == DeliveryGuarantee.NONE) {
                throw new IllegalArgumentException("delivery NONE is not supported; use exactly-once or at-least-once");
            }
            if (v.containsKey("remote-backend") && v.get("kv-state-tier") != KvStateTier.OFF) {
                throw new IllegalArgumentException("--kv-state-tier " + ((KvStateTier) v.get("kv-state-tier")).wireName()
                        + " does not apply to --backend openai: the server owns its KV cache; leave --kv-state-tier off");
            }
            ChatJobOptions o = new ChatJobOptions(v);
            o.conversationOptions(); // validates
            o.deltaOptions();
            DeliverySafety.check(o);
            return o;
        }
    }

    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>(v);
        @SuppressWarnings("unchecked") Map<String, String> kafka = (Map<String, String>) v.get("kafka-properties");
        shown.put("kafka-properties", kafka.keySet() + " (values hidden)"); // may hold SASL/SSL secrets
        return "ChatJobOptions" + shown;
    }
}
