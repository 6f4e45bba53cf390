package io.r1stream.connectors.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) inside this JVM, for local runs
 * and tests. Transactions work (the internal topics have replication factor 1).
 *
 * <pre>{@code
 * try (LocalKafkaBroker kafka = LocalKafkaBroker.start(9092, Path.of("target/kafka"))) {
 *     kafka.createTopics(Map.of("prompts", 4, "results", 4, "prompts.dlq", 1, "metrics", 1));
 *     String bootstrap = kafka.bootstrapServers(); // "localhost:9092"
 * }
 * }</pre>
 *
 * <p>Clients connect to a listener named {@value #CLIENT_LISTENER} on {@code localhost:port}; the
 * broker's inter-broker and controller listeners take other free ports. Each start formats a fresh
 * cluster in {@code dataDir}, which must be absent or empty, and {@link #close()} deletes it: nothing
 * survives a restart.
 *
 * <p>The broker classes are not part of the lean job jar: a module that uses this class declares
 * {@code org.apache.kafka:kafka_2.13}, {@code org.apache.kafka:kafka-test-common-runtime} and
 * {@code org.apache.kafka:kafka-server-common} (all 4.2.0) itself.
 */
public final class LocalKafkaBroker implements AutoCloseable {

    /** Name of the listener clients use. */
    public static final String CLIENT_LISTENER = "CLIENT";

    private static final String HOST = "localhost";
    private static final Duration DEFAULT_TOPIC_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaClusterTestKit cluster;
    private final int port;

    private LocalKafkaBroker(KafkaClusterTestKit cluster, int port) {
        this.cluster = cluster;
        this.port = port;
    }

    /**
     * Starts the broker and waits until it accepts clients (about 1-3 s).
     *
     * @param port    the client port on localhost; 0 picks a free one (see {@link #port()})
     * @param dataDir where logs and metadata go; must be absent or an empty directory; deleted on close
     */
    public static LocalKafkaBroker start(int port, Path dataDir) throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535; pass 0 for a free port "
                    + "or e.g. 9092");
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("dataDir is null; pass a directory for the broker's data, "
                    + "e.g. Path.of(\"target/kafka\")");
        }
        requireAbsentOrEmpty(dataDir);
        if (port != 0) {
            requireFree(port);
        }

        TestKitNodes nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .setBaseDirectory(dataDir)
                .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                .build();
        String interBroker = nodes.brokerListenerName().value();
        String controller = nodes.controllerListenerName().value();
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
                // The test kit binds its own listeners to pre-opened random ports whatever the config says,
                // so clients get a listener of their own whose port really is the one asked for.
                .setConfigProp("listeners", interBroker + "://" + HOST + ":0," + controller + "://" + HOST + ":0,"
                        + CLIENT_LISTENER + "://" + HOST + ":" + port)
                .setConfigProp("listener.security.protocol.map", interBroker + ":PLAINTEXT," + controller
                        + ":PLAINTEXT," + CLIENT_LISTENER + ":PLAINTEXT")
                // one node: internal topics with replication factor 1, few partitions for a fast start
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "4")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "4")
                .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("num.partitions", "1")
                .setDeleteOnClose(true)
                .build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            int bound = cluster.brokers().values().iterator().next()
                    .boundPort(ListenerName.normalised(CLIENT_LISTENER));
            return new LocalKafkaBroker(cluster, bound);
        } catch (Exception | Error e) {
            try {
                cluster.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** {@code localhost:port}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client port (the real one when started with port 0). */
    public int port() {
        return port;
    }

    /** Creates topics (replication factor 1) and waits up to 30 s for every partition to have a leader. */
    public void createTopics(Map<String, Integer> partitions) throws InterruptedException {
        createTopics(partitions, DEFAULT_TOPIC_TIMEOUT);
    }

    /**
     * Creates topics with the given partition counts (replication factor 1) and waits until every
     * partition has a leader, so producing right after does not fail. A topic that already exists with
     * the same partition count is accepted; with another count it is an error.
     */
    public void createTopics(Map<String, Integer> partitions, Duration timeout) throws InterruptedException {
        if (partitions == null || partitions.isEmpty()) {
            throw new IllegalArgumentException("no topics given; pass e.g. Map.of(\"prompts\", 4)");
        }
        List<NewTopic> newTopics = new ArrayList<>();
        partitions.forEach((topic, count) -> {
            KafkaTopology.requireTopic(topic, "topic");
            if (count == null || count < 1) {
                throw new IllegalArgumentException("topic '" + topic + "' needs at least 1 partition, got " + count);
            }
            newTopics.add(new NewTopic(topic, count, (short) 1));
        });
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            for (Map.Entry<String, KafkaFuture<Void>> created : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    created.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic '" + created.getKey() + "': "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            awaitLeaders(admin, partitions, timeout);
        }
    }

    private static void awaitLeaders(Admin admin, Map<String, Integer> partitions, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String waitingFor = "";
        while (true) {
            try {
                Map<String, TopicDescription> descriptions =
                        admin.describeTopics(Set.copyOf(partitions.keySet())).allTopicNames().get();
                waitingFor = "";
                for (TopicDescription description : descriptions.values()) {
                    int expected = partitions.get(description.name());
                    if (description.partitions().size() != expected) {
                        throw new IllegalStateException("topic '" + description.name() + "' already exists with "
                                + description.partitions().size() + " partitions, not " + expected
                                + "; delete it or ask for " + description.partitions().size());
                    }
                    for (TopicPartitionInfo partition : description.partitions()) {
                        if (partition.leader() == null || partition.leader().isEmpty()) {
                            waitingFor = description.name() + "-" + partition.partition();
                        }
                    }
                }
                if (waitingFor.isEmpty()) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("cannot describe topics " + partitions.keySet() + ": "
                            + e.getCause().getMessage(), e.getCause());
                }
                waitingFor = "metadata of " + partitions.keySet();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no leader for " + waitingFor + " after " + timeout.toMillis()
                        + " ms; is the broker overloaded?");
            }
            Thread.sleep(50);
        }
    }

    /** Stops the broker and deletes its data directory. */
    @Override
    public void close() throws Exception {
        cluster.close();
    }

    private static void requireAbsentOrEmpty(Path dataDir) throws IOException {
        if (!Files.exists(dataDir)) {
            return;
        }
        if (!Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("dataDir " + dataDir + " is a file; pass a directory that is "
                    + "absent or empty");
        }
        try (Stream<Path> entries = Files.list(dataDir)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException("dataDir " + dataDir + " is not empty; the local broker formats "
                        + "a fresh cluster there and deletes it on close, so pass an absent or empty directory");
            }
        }
    }

    private static void requireFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on " + HOST + " is in use (" + e.getMessage()
                    + "); stop whatever listens there (another broker?) or pick another port, 0 for any free one");
        }
    }

    @Override
    public String toString() {
        return "LocalKafkaBroker[" + bootstrapServers() + "]";
    }

    /** Config map with just {@code bootstrap.servers}, to extend for clients. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return config;
    }
}
