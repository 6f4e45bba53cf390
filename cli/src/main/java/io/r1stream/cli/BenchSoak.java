package io.r1stream.cli;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.RecordJson;
import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.Engines;
import io.r1stream.jobs.ChatJob;
import io.r1stream.jobs.ChatJobOptions;
import io.r1stream.operators.KvStateTier;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * A bounded soak of the chat job: a real broker in this JVM, the job in a local Flink (RocksDB, checkpoints,
 * exactly-once by default) and a closed-loop multi-turn load (each conversation sends its next turn when its
 * previous answer is visible; after {@code --turns} turns it ends and a new conversation takes its place, so
 * old ones expire through the idle TTL). Every interval it prints heap after GC, RSS, checkpoint state on disk,
 * engine KV usage, prompt lag and latency percentiles; it stops by itself after {@code --minutes}.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Run the chat job under steady multi-turn load for N minutes, printing heap, RSS, state size, KV usage, lag and latency every interval.")
final class BenchSoak implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR") Path model;
    @Option(names = "--minutes", defaultValue = "30", description = "how long to run (default: ${DEFAULT-VALUE})") double minutes;
    @Option(names = "--conversations", defaultValue = "8", description = "conversations live at once (default: ${DEFAULT-VALUE})") int conversations;
    @Option(names = "--turns", defaultValue = "6", description = "turns per conversation before a new one replaces it (default: ${DEFAULT-VALUE})") int turns;
    @Option(names = "--max-tokens", defaultValue = "32", description = "tokens per answer (default: ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--interval", defaultValue = "30s", description = "report interval (default: ${DEFAULT-VALUE})") String interval;
    @Option(names = "--idle-ttl", defaultValue = "2min", description = "the job's idle TTL: bounds state (default: ${DEFAULT-VALUE})") String idleTtl;
    @Option(names = "--checkpoint-interval", defaultValue = "10s", description = "(default: ${DEFAULT-VALUE})") String checkpointInterval;
    @Option(names = "--delivery", defaultValue = "exactly-once", paramLabel = "exactly-once|at-least-once") String delivery;
    @Option(names = "--kv-state-tier", defaultValue = "every-turn", paramLabel = "off|on-evict|every-turn") String kvTier;
    @Option(names = "--max-in-flight", defaultValue = "64", description = "(default: ${DEFAULT-VALUE})") int maxInFlight;
    @Option(names = "--threads", defaultValue = "1", description = "engine threads (default: ${DEFAULT-VALUE})") int threads;
    @Option(names = "--dir", defaultValue = ".r1stream/bench-soak", description = "working folder (default: ${DEFAULT-VALUE})") Path dir;

    private final Map<String, Long> sentAt = new HashMap<>();      // request id -> ms produced
    private final Map<String, Integer> turnOf = new HashMap<>();   // conversation -> turns sent
    private final List<Double> latencies = new ArrayList<>();      // ms, produce -> visible, this interval
    private long answers, errors, duplicates, nextConversation;

    @Override
    public Integer call() throws Exception {
        System.out.println(MachineInfo.describe());
        Path run = dir.resolve("run-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(run);
        Path checkpoints = run.resolve("checkpoints");
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, run.resolve("kafka"))) {
            kafka.createTopics(Map.of("prompts", 2, "results", 2, "prompts.dlq", 1, "metrics", 1));
            ChatJobOptions o = ChatJobOptions.fromArgs(new String[] {"--model", model.toAbsolutePath().normalize().toString(),
                    "--bootstrap-servers", kafka.bootstrapServers(), "--checkpoint-dir", checkpoints.toString(),
                    "--checkpoint-interval", checkpointInterval, "--delivery", delivery, "--kv-state-tier", kvTier,
                    "--idle-ttl", idleTtl, "--max-in-flight", Integer.toString(maxInFlight), "--threads", Integer.toString(threads)});
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ChatJob.configuration(o));
            ChatJob.build(env, o);
            JobClient job = env.executeAsync("r1stream-soak");
            System.out.printf("soak: %d conversations x %d turns, %d tokens per answer, %s, kv-state-tier %s, idle TTL %s, checkpoints every %s, %.0f min%n",
                    conversations, turns, maxTokens, o.delivery(), KvStateTier.parse(kvTier).wireName(), idleTtl, checkpointInterval, minutes);
            System.out.println("   min | answers | /min | errors | heap MiB (after GC) | RSS MiB | state MiB | KV used | running | waiting | prompt lag | e2e p50 ms | e2e p95 ms");
            try (Engines.EngineHandle engine = Engines.acquire(o.engine());
                 KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers());
                 KafkaConsumer<byte[], byte[]> consumer = consumer(kafka.bootstrapServers());
                 Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                consumer.subscribe(List.of("results"));
                for (int c = 0; c < conversations; c++) sendNext(producer, "soak-" + nextConversation++);
                long t0 = System.nanoTime(), end = t0 + (long) (minutes * 60e9);
                long every = TimeUtils.parseDuration(interval).toNanos(), nextReport = t0 + every, lastAnswers = 0;
                double heapMin = Double.MAX_VALUE, heapMax = 0;
                while (System.nanoTime() < end) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) onResult(producer, r);
                    if (System.nanoTime() >= nextReport) {
                        double heap = heapAfterGcMib();
                        heapMin = Math.min(heapMin, heap);
                        heapMax = Math.max(heapMax, heap);
                        double mins = (System.nanoTime() - t0) / 60e9;
                        EngineMetrics m = engine.engine().metrics();
                        System.out.printf("%6.1f | %7d | %4.0f | %6d | %19.0f | %7.0f | %9.1f | %6.1f%% | %7d | %7d | %10d | %10.0f | %10.0f%n",
                                mins, answers, (answers - lastAnswers) / (every / 60e9), errors, heap, rssMib(),
                                dirMib(checkpoints), 100 * m.kvUsageRatio(), m.running.get(), m.waiting.get(),
                                promptLag(admin, o.groupId()), Stats.percentile(latencies, 50), Stats.percentile(latencies, 95));
                        latencies.clear();
                        lastAnswers = answers;
                        nextReport += every;
                    }
                }
                System.out.printf("soak done: %d answers, %d errors, %d duplicates; heap after GC %.0f..%.0f MiB; state %.1f MiB; "
                                + "preemptions %d, host-tier evictions %d%n", answers, errors, duplicates, heapMin, heapMax,
                        dirMib(checkpoints), engine.engine().metrics().preemptions.sum(), engine.engine().metrics().hostKvEvictions.get());
            } finally {
                job.cancel().get();
                job.getJobExecutionResult().handle((r, e) -> null).get();
            }
        }
        return 0;
    }

    private void onResult(KafkaProducer<byte[], byte[]> producer, ConsumerRecord<byte[], byte[]> record) throws Exception {
        ChatResult r = RecordJson.fromBytes(record.value(), ChatResult.class);
        Long sent = sentAt.remove(r.requestId());
        if (sent == null) {
            duplicates++;
            return;
        }
        answers++;
        if (r.finishReason() == ChatResult.FinishReason.ERROR) errors++;
        latencies.add((double) (System.currentTimeMillis() - sent));
        String conv = r.conversationId();
        if (turnOf.get(conv) >= turns) { // this conversation is done: it expires; a new one takes its place
            turnOf.remove(conv);
            conv = "soak-" + nextConversation++;
        }
        sendNext(producer, conv);
    }

    private void sendNext(KafkaProducer<byte[], byte[]> producer, String conv) throws Exception {
        int turn = turnOf.merge(conv, 1, Integer::sum);
        String id = conv + "-" + turn;
        String message = "Turn " + turn + " of " + conv + ": explain how checkpoints, state and exactly-once delivery fit together.";
        sentAt.put(id, System.currentTimeMillis());
        producer.send(new ProducerRecord<>("prompts", conv.getBytes(StandardCharsets.UTF_8),
                ResultsTopics.prompt(id, conv, message, maxTokens, turn).getBytes(StandardCharsets.UTF_8))).get();
    }

    /** Records in the prompts topic the job's consumer group has not committed yet (committed on checkpoints). */
    private static long promptLag(Admin admin, String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            for (int p = 0; p < 2; p++) ask.put(new TopicPartition("prompts", p), OffsetSpec.latest());
            long lag = 0;
            for (var e : admin.listOffsets(ask).all().get().entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                lag += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        } catch (Exception e) {
            return -1;
        }
    }

    private static double heapAfterGcMib() {
        System.gc();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed() / 1048576.0;
    }

    private static double rssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux: no RSS
        }
        return -1;
    }

    private static double dirMib(Path dir) {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try { return Files.size(p); } catch (IOException e) { return 0; }
            }).sum() / 1048576.0;
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1; // files vanish while Flink subsumes checkpoints
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", "r1stream-soak-reader-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
