package io.r1stream.jobs;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Start-up checks that refuse exactly-once settings that can lose answers. A sink's Kafka transaction opens
 * at the first write after a checkpoint and commits when the next checkpoint completes; if the broker aborts
 * it first (at {@code transaction.timeout.ms}), later writes fail (a restart loop) or the committer drops a
 * pre-committed transaction whose answers the checkpoint already counts as written. So the transaction must
 * outlive the longest a checkpoint can take to complete, failed attempts included, plus a restart:
 * <pre>
 * transaction timeout >= checkpoint interval + (tolerable failed checkpoints + 1) * checkpoint timeout
 *                        + restart delay + restart recovery time (1 min by default)
 * </pre>
 * and must not exceed the broker's {@code transaction.max.timeout.ms} (15 min by default), or the producers
 * cannot even start.
 */
public final class DeliverySafety {
    private static final Logger LOG = LoggerFactory.getLogger(DeliverySafety.class);

    private DeliverySafety() {}

    /** The transaction timeout these checkpoint settings need. */
    public static Duration requiredTransactionTimeout(ChatJobOptions o) {
        return o.checkpointInterval()
                .plus(o.checkpointTimeout().multipliedBy(o.tolerableFailedCheckpoints() + 1L))
                .plus(o.restartDelay()).plus(o.restartRecoveryTime());
    }

    /** Refuses option combinations that can lose data; the message names the setting to change. */
    static void check(ChatJobOptions o) {
        if (o.checkpointTimeout().toMillis() < 1000) {
            throw new IllegalArgumentException("--checkpoint-timeout " + o.checkpointTimeout() + " is too short; use at least 1s");
        }
        if (o.tolerableFailedCheckpoints() < 0) {
            throw new IllegalArgumentException("--tolerable-failed-checkpoints must be >= 0, got " + o.tolerableFailedCheckpoints());
        }
        if (o.delivery() != DeliveryGuarantee.EXACTLY_ONCE) return;
        Duration need = requiredTransactionTimeout(o);
        if (o.transactionTimeout().compareTo(need) < 0) {
            throw new IllegalArgumentException("with exactly-once delivery the Kafka transaction timeout (--transaction-timeout "
                    + human(o.transactionTimeout()) + ") must outlive the slowest checkpoint plus a restart, or the broker "
                    + "aborts transactions whose answers a checkpoint already recorded: at least checkpoint interval ("
                    + human(o.checkpointInterval()) + ") + (tolerable failed checkpoints " + o.tolerableFailedCheckpoints()
                    + " + 1) x checkpoint timeout (" + human(o.checkpointTimeout()) + ") + restart delay ("
                    + human(o.restartDelay()) + ") + restart recovery time (" + human(o.restartRecoveryTime()) + ") = " + human(need) + ". Raise --transaction-timeout (at most the "
                    + "broker's transaction.max.timeout.ms, 15min by default) or lower --checkpoint-timeout / "
                    + "--tolerable-failed-checkpoints");
        }
        if (!o.unalignedCheckpoints()) {
            LOG.warn("aligned checkpoints: with a slow model a checkpoint barrier waits behind every queued prompt; "
                    + "expect checkpoint timeouts and restarts under load (--unaligned-checkpoints true avoids this)");
        }
    }

    /**
     * Asks the brokers for {@code transaction.max.timeout.ms} and refuses a transaction timeout above it. Best
     * effort: when the brokers cannot be asked within 10 s it logs and returns (the producers will then say).
     */
    public static void checkBroker(ChatJobOptions o) {
        if (o.delivery() != DeliveryGuarantee.EXACTLY_ONCE) return;
        Properties p = o.kafkaProperties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        long max;
        try (Admin admin = Admin.create(p)) {
            Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
            if (nodes.isEmpty()) return;
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, nodes.iterator().next().idString());
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(broker)).all().get(10, TimeUnit.SECONDS);
            ConfigEntry e = configs.get(broker).get("transaction.max.timeout.ms");
            if (e == null || e.value() == null) return;
            max = Long.parseLong(e.value());
        } catch (Exception e) {
            LOG.warn("could not read the brokers' transaction.max.timeout.ms ({}); not checked", e.toString());
            return;
        }
        if (o.transactionTimeout().toMillis() > max) {
            throw new IllegalArgumentException("--transaction-timeout " + human(o.transactionTimeout())
                    + " is above the brokers' transaction.max.timeout.ms (" + max + " ms): the exactly-once sinks could not "
                    + "start. Lower --transaction-timeout (and the checkpoint settings it must cover) or raise "
                    + "transaction.max.timeout.ms on the brokers");
        }
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms > 0) return (ms / 60_000) + "min";
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        return ms + "ms";
    }
}
