package io.r1stream.cli;

import io.r1stream.connectors.records.ChatDelta;
import io.r1stream.connectors.records.RecordJson;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A consumer of the deltas topic on its own thread, from the beginning: when each request's first delta was
 * seen (System.nanoTime), and optionally every delta as it arrives (the demo prints them).
 */
final class DeltaWatch implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    private DeltaWatch(String bootstrap, String topic, Consumer<ChatDelta> onDelta) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("enable.auto.commit", "false");
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo i : consumer.partitionsFor(topic)) parts.add(new TopicPartition(topic, i.partition()));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        thread = new Thread(() -> {
            try {
                while (!closed) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        ChatDelta d = RecordJson.fromBytes(r.value(), ChatDelta.class);
                        firstSeen.putIfAbsent(d.requestId(), now);
                        onDelta.accept(d);
                    }
                }
            } catch (WakeupException stopping) {
                // closed
            } finally {
                consumer.close();
            }
        }, "r1stream-delta-watch");
        thread.setDaemon(true);
        thread.start();
    }

    static DeltaWatch start(String bootstrap, String topic) { return new DeltaWatch(bootstrap, topic, d -> {}); }

    static DeltaWatch start(String bootstrap, String topic, Consumer<ChatDelta> onDelta) { return new DeltaWatch(bootstrap, topic, onDelta); }

    /** When the first delta of {@code requestId} was consumed (nanoTime); waits up to {@code timeout} for it. */
    long firstSeen(String requestId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!firstSeen.containsKey(requestId)) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("no delta of " + requestId + " on the deltas topic");
            Thread.sleep(10);
        }
        return firstSeen.get(requestId);
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        consumer.wakeup();
        thread.join(5000);
    }
}
