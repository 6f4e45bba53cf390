package io.r1stream.connectors.documents;

import io.r1stream.connectors.kafka.RawRecordDeserializationSchema;
import io.r1stream.connectors.records.RawRecord;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bounded streams of {@link Document}s for the summarization job: a folder of {@code .txt}/{@code .md} files,
 * a JSONL file, or an offset range of a Kafka topic. Each ends when its input is read, so a job in BATCH mode
 * finishes. Paths must be readable from the TaskManagers (local runs, a shared file system).
 */
public final class DocumentSources {
    public static final TypeInformation<Document> TYPE = TypeInformation.of(Document.class);

    private DocumentSources() {}

    /** A stream and how many documents it will hold (-1 when not known before reading). */
    public record Input(DataStream<Document> documents, long expectedDocuments) {}

    /** Folder, or JSONL file when {@code path} is a regular file (any name). */
    public static Input fromPath(StreamExecutionEnvironment env, Path path) {
        if (Files.isDirectory(path)) return folder(env, path);
        if (Files.isRegularFile(path)) return jsonl(env, path);
        throw new IllegalArgumentException("input " + path + " does not exist; pass a folder of .txt/.md files or a JSONL file");
    }

    /** The folder is listed here (in the client); the files are read in parallel by the tasks. */
    public static Input folder(StreamExecutionEnvironment env, Path root) {
        Path abs = root.toAbsolutePath().normalize();
        List<String> files = DocumentReader.listFolder(abs);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("input folder " + abs + " holds no .txt or .md files (searched recursively)");
        }
        DataStream<Document> docs = env.fromData(files, Types.STRING).name("document-files")
                .rebalance()
                .map(new ReadFile(abs.toString()), TYPE).name("read-documents");
        return new Input(docs, files.size());
    }

    /** One document per non-blank line (blank lines are not documents); the lines are counted here. */
    public static Input jsonl(StreamExecutionEnvironment env, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        long lines;
        try (BufferedReader r = reader(abs)) {
            lines = r.lines().filter(l -> !l.isBlank()).count();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read JSONL input " + abs + ": " + e.getMessage(), e);
        }
        if (lines == 0) throw new IllegalArgumentException("JSONL input " + abs + " holds no lines");
        DataStream<Document> docs = env.fromData(List.of(abs.toString()), Types.STRING).name("jsonl-file")
                .flatMap(new ReadJsonLines(), TYPE).name("read-jsonl").setParallelism(1)
                .rebalance();
        return new Input(docs, lines);
    }

    /**
     * Records of {@code topic} from {@code start} up to (not including) {@code end}: a bounded KafkaSource.
     *
     * @param start earliest | latest | committed | {@code P:OFFSET,P:OFFSET...}
     * @param end   latest (the offsets when the job starts) | {@code P:OFFSET,...}
     */
    public static Input kafka(StreamExecutionEnvironment env, String bootstrapServers, String topic, String groupId,
                              String start, String end) {
        KafkaSource<RawRecord> source = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopics(topic)
                .setGroupId(groupId)
                .setClientIdPrefix(groupId)
                .setStartingOffsets(offsets(topic, start, true))
                .setBounded(offsets(topic, end, false))
                .setDeserializer(new RawRecordDeserializationSchema())
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .build();
        DataStream<Document> docs = env.fromSource(source, WatermarkStrategy.noWatermarks(), "documents-topic")
                .map(new FromKafka(), TYPE).name("read-kafka-documents");
        return new Input(docs, -1);
    }

    /** Parses an offsets flag: a name or {@code partition:offset} pairs. */
    public static OffsetsInitializer offsets(String topic, String spec, boolean starting) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "earliest": if (starting) return OffsetsInitializer.earliest(); break;
            case "latest": return OffsetsInitializer.latest();
            case "committed": if (starting) return OffsetsInitializer.committedOffsets(); break;
            default:
                Map<TopicPartition, Long> m = new HashMap<>();
                for (String pair : s.split(",")) {
                    String[] po = pair.trim().split(":");
                    try {
                        if (po.length != 2) throw new NumberFormatException();
                        m.put(new TopicPartition(topic, Integer.parseInt(po[0])), Long.parseLong(po[1]));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("offsets '" + spec + "': use " + (starting ? "earliest, latest, committed"
                                : "latest") + " or partition:offset pairs such as 0:100,1:250");
                    }
                }
                return OffsetsInitializer.offsets(m);
        }
        throw new IllegalArgumentException("end offsets '" + spec + "' cannot be used; use latest or partition:offset pairs");
    }

    private static BufferedReader reader(Path file) throws IOException {
        // invalid UTF-8 becomes U+FFFD: such a line then fails JSON parsing or reads as text, with its line number
        return new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)));
    }

    static final class ReadFile implements MapFunction<String, Document> {
        private static final long serialVersionUID = 1L;
        private final String root;

        ReadFile(String root) { this.root = root; }

        @Override
        public Document map(String relative) { return DocumentReader.readFile(Path.of(root), relative); }
    }

    static final class ReadJsonLines implements FlatMapFunction<String, Document> {
        private static final long serialVersionUID = 1L;

        @Override
        public void flatMap(String file, Collector<Document> out) throws IOException {
            try (BufferedReader r = reader(Path.of(file))) {
                long n = 0;
                for (String line; (line = r.readLine()) != null; ) {
                    n++;
                    if (!line.isBlank()) out.collect(DocumentReader.fromJsonLine(file, n, line));
                }
            }
        }
    }

    static final class FromKafka implements MapFunction<RawRecord, Document> {
        private static final long serialVersionUID = 1L;

        @Override
        public Document map(RawRecord r) { return DocumentReader.fromKafka(r); }
    }
}
