package io.r1stream.jobs;

import io.r1stream.connectors.documents.DocumentSummary;
import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.RecordJson;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;
import io.r1stream.operators.summarize.SummaryProgress;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The summarization job on Flink's MiniCluster with the tiny generated model: a generated corpus of good and
 * bad documents, small chunks (so short texts need several) and 8-token summaries (so runs stay short).
 */
class SummarizeJobTest {
    @TempDir static Path tmp;
    static Path model;
    static Path corpus;
    static Map<String, String> expected;

    @BeforeAll
    static void setUp() throws Exception {
        model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("model"));
        corpus = tmp.resolve("corpus");
        expected = SummaryCorpus.write(corpus, 32, 7);
    }

    static SummarizeJobOptions options(String input, Path output, int parallelism) {
        return SummarizeJobOptions.fromArgs(new String[] {"--input", input, "--output", output.toString(),
                "--model", model.toString(), "--parallelism", Integer.toString(parallelism),
                "--max-chunk-tokens", "48", "--max-summary-tokens", "8", "--seed", "11"});
    }

    static Map<String, DocumentSummary> run(SummarizeJobOptions o) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(o.parallelism(), SummarizeJob.configuration(o));
        SummarizeJob.build(env, o);
        env.execute("summarize-test");
        Path out = Path.of(o.output());
        assertThat(out.resolveSibling(out.getFileName() + ".inprogress")).doesNotExist();
        Map<String, DocumentSummary> byId = new TreeMap<>();
        for (String line : Files.readAllLines(out)) {
            DocumentSummary s = RecordJson.mapper().readValue(line, DocumentSummary.class);
            assertThat(byId.put(s.docId(), s)).as("one line per document: " + s.docId()).isNull();
        }
        return byId;
    }

    @Test
    void summarizesEveryDocumentOfAFolderWithMapReduceAndReportsBadOnesSameOutputForSameSeed() throws Exception {
        Map<String, DocumentSummary> first = run(options(corpus.toString(), tmp.resolve("out-p2.jsonl"), 2));

        assertThat(first.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, String> e : expected.entrySet()) {
            DocumentSummary s = first.get(e.getKey());
            if (e.getValue() == null) {
                assertThat(s.error()).as(s.docId()).isNull();
                assertThat(s.summary()).isNotNull();
                assertThat(s.promptTokens()).isPositive();
                assertThat(s.completionTokens()).isPositive();
                assertThat(s.latencyMs()).isPositive();
                // a multi-chunk document always goes through at least one combine round
                assertThat(s.reduceLevels()).isEqualTo(s.chunks() == 1 ? 0 : s.reduceLevels()).isGreaterThanOrEqualTo(s.chunks() > 1 ? 1 : 0);
                assertThat(s.summary()).doesNotContain("<think>", "</think>");
            } else {
                assertThat(s.error()).as(s.docId()).containsIgnoringCase(e.getValue());
                assertThat(s.summary()).isNull();
            }
        }
        List<DocumentSummary> good = first.values().stream().filter(s -> !s.isError()).toList();
        assertThat(good).anySatisfy(s -> assertThat(s.chunks()).isEqualTo(1));
        assertThat(good).anySatisfy(s -> assertThat(s.chunks()).isGreaterThan(8));
        assertThat(good).as("hierarchical reduce").anySatisfy(s -> assertThat(s.reduceLevels()).isGreaterThanOrEqualTo(2));
        assertThat(SummaryProgress.shared().documentsDone()).isEqualTo(expected.size());
        assertThat(SummaryProgress.shared().chunksDone()).isEqualTo(SummaryProgress.shared().chunksTotal())
                .isEqualTo(good.stream().mapToLong(DocumentSummary::chunks).sum());

        // another parallelism, so other batches: the same summaries (per-request seeds)
        Map<String, DocumentSummary> second = run(options(corpus.toString(), tmp.resolve("out-p1.jsonl"), 1));
        assertThat(second.keySet()).isEqualTo(first.keySet());
        for (String id : first.keySet()) {
            DocumentSummary a = first.get(id), b = second.get(id);
            assertThat(b.summary()).as(id).isEqualTo(a.summary());
            assertThat(b.error()).as(id).isEqualTo(a.error());
            assertThat(b.chunks()).isEqualTo(a.chunks());
            assertThat(b.completionTokens()).isEqualTo(a.completionTokens());
        }
    }

    @Test
    void readsJsonLinesAndReportsBadLinesByLineNumber() throws Exception {
        Path in = tmp.resolve("docs.jsonl");
        java.util.Random rnd = new java.util.Random(3);
        Files.writeString(in, String.join("\n",
                "{\"doc_id\":\"a\",\"text\":\"" + SummaryCorpus.text(rnd, 2).replace("\n", "\\n") + "\"}",
                "{\"doc_id\":\"b\",\"text\":\"short note\"}",
                "",
                "not json at all",
                "{\"text\":\"no id\"}",
                "{\"doc_id\":\"c\",\"text\":\"   \"}",
                "{\"doc_id\":\"d\",\"text\":42}") + "\n");
        Map<String, DocumentSummary> out = run(options(in.toString(), tmp.resolve("out-jsonl.jsonl"), 1));
        assertThat(out.keySet()).containsExactlyInAnyOrder("a", "b", "line-4", "line-5", "c", "d");
        assertThat(out.get("a").error()).isNull();
        assertThat(out.get("b").error()).isNull();
        assertThat(out.get("b").chunks()).isEqualTo(1);
        assertThat(out.get("line-4").error()).contains("malformed JSON");
        assertThat(out.get("line-4").source()).endsWith("docs.jsonl:4");
        assertThat(out.get("line-5").error()).contains("doc_id");
        assertThat(out.get("c").error()).contains("empty");
        assertThat(out.get("d").error()).contains("text must be a string");
    }

    @Test
    void readsAnOffsetRangeOfAKafkaTopic() throws Exception {
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"))) {
            kafka.createTopics(Map.of("docs", 1));
            String[][] records = new String[6][];
            for (int i = 0; i < 6; i++) {
                records[i] = new String[] {"k" + i, i == 3 ? "" : "{\"doc_id\":\"doc-" + i + "\",\"text\":\"Kafka document " + i + ". It is short.\"}"};
            }
            KafkaTestClient.produce(kafka, "docs", java.util.Arrays.asList(records));
            SummarizeJobOptions o = options(corpus.toString(), tmp.resolve("out-kafka.jsonl"), 1)
                    .withTopic(kafka.bootstrapServers(), "docs", "0:1", "0:5");
            Map<String, DocumentSummary> out = run(o);
            assertThat(out.keySet()).containsExactlyInAnyOrder("doc-1", "doc-2", "k3", "doc-4");
            assertThat(out.get("k3").error()).contains("empty");
            assertThat(out.get("k3").source()).isEqualTo("docs-0@3");
            assertThat(out.get("doc-2").summary()).isNotNull();
        }
    }
}
