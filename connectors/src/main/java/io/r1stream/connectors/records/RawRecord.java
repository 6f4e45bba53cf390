package io.r1stream.connectors.records;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record exactly as received, with where it came from. The source emits these and parsing
 * happens afterwards ({@code ParsePrompts}), so a bad record becomes a {@link DeadLetter} instead of
 * failing the source. Not a JSON type.
 *
 * @param topic     topic it was read from.
 * @param partition its partition.
 * @param offset    its offset in that partition.
 * @param timestamp its Kafka timestamp, epoch ms; -1 when it has none.
 * @param key       the key bytes, or {@code null}.
 * @param value     the value bytes, or {@code null} (a tombstone).
 */
public record RawRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {

    public RawRecord {
        Objects.requireNonNull(topic, "topic");
    }

    // Arrays compare by content, unlike the record default.
    @Override
    public boolean equals(Object o) {
        return o instanceof RawRecord r
                && partition == r.partition && offset == r.offset && timestamp == r.timestamp
                && topic.equals(r.topic) && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset, timestamp, Arrays.hashCode(key), Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "RawRecord[" + topic + "-" + partition + "@" + offset + ", timestamp=" + timestamp
                + ", key=" + (key == null ? "null" : key.length + " bytes")
                + ", value=" + (value == null ? "null" : value.length + " bytes") + "]";
    }
}
