package io.r1stream.connectors.kafka;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client properties (security, client ids) reach the source and the sinks, and r1stream's own settings that
 * exactly-once depends on cannot be overridden by them. The connector keeps its configuration non-public, so
 * this reads it reflectively.
 */
class KafkaClientPropertiesTest {
    private static Properties security() {
        Properties p = new Properties();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"secret\";");
        p.put("isolation.level", "read_uncommitted"); // must not win over read_committed
        p.put("transaction.timeout.ms", "1000");      // must not win over the sink's timeout
        return p;
    }

    @Test
    void securityPropertiesReachTheSinkAndTheTransactionSettingsStayR1streams() throws Exception {
        KafkaSink<?> sink = KafkaTopology.sink("localhost:9092", JsonRecordSerializationSchema.chatResults("results"),
                DeliveryGuarantee.EXACTLY_ONCE, "p", Duration.ofMinutes(15), security());
        Method m = KafkaSink.class.getDeclaredMethod("getKafkaProducerConfig");
        m.setAccessible(true);
        Properties config = (Properties) m.invoke(sink);
        assertThat(config.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(config.getProperty("sasl.mechanism")).isEqualTo("PLAIN");
        assertThat(config.getProperty("transaction.timeout.ms")).isEqualTo("900000");
    }

    @Test
    void securityPropertiesReachTheSourceWhichStillReadsCommittedOnly() throws Exception {
        KafkaSource<?> source = KafkaTopology.promptSource("localhost:9092", "prompts", "g", OffsetsInitializer.earliest(), security());
        Method m = KafkaSource.class.getDeclaredMethod("getConfiguration");
        m.setAccessible(true);
        var config = (org.apache.flink.configuration.Configuration) m.invoke(source);
        assertThat(config.toMap()).containsEntry("security.protocol", "SASL_SSL").containsEntry("isolation.level", "read_committed");
    }
}
