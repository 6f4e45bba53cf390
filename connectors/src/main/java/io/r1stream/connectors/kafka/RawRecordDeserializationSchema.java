package io.r1stream.connectors.kafka;

import io.r1stream.connectors.records.RawRecord;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.RecordBatch;

/**
 * Emits every Kafka record as a {@link RawRecord}, untouched. Deserialization cannot fail here, so a
 * bad record never fails the source; {@code ParsePrompts} turns it into a dead letter instead.
 */
public final class RawRecordDeserializationSchema implements KafkaRecordDeserializationSchema<RawRecord> {

    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
        long timestamp = record.timestamp() == RecordBatch.NO_TIMESTAMP ? -1 : record.timestamp();
        out.collect(new RawRecord(record.topic(), record.partition(), record.offset(), timestamp,
                record.key(), record.value()));
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
        return TypeInformation.of(RawRecord.class);
    }
}
