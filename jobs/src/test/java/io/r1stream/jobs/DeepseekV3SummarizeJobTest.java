package io.r1stream.jobs;

import io.r1stream.connectors.documents.DocumentSummary;
import io.r1stream.connectors.records.RecordJson;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.gen.DeepseekV3Generator;
import io.r1stream.engine.model.gen.DeepseekV3Size;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The summarization job (MiniCluster) on a tiny DeepseekV3: every document summarized, bad ones reported. */
class DeepseekV3SummarizeJobTest {
    @TempDir Path tmp;

    @Test
    void summarizesAFolderWithADeepseekV3Model() throws Exception {
        Path model = DeepseekV3Generator.create(new DeepseekV3Generator.Spec(DeepseekV3Size.TINY, TensorDtype.BF16, 0, true, true, 5, 2, false),
                tmp.resolve("dsv3"));
        Path corpus = tmp.resolve("corpus");
        Map<String, String> expected = SummaryCorpus.write(corpus, 5, 3);
        Path out = tmp.resolve("out.jsonl");
        SummarizeJobOptions o = SummarizeJobOptions.fromArgs(new String[] {"--input", corpus.toString(), "--output", out.toString(),
                "--model", model.toString(), "--parallelism", "1", "--max-chunk-tokens", "48", "--max-summary-tokens", "8", "--seed", "11"});
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, SummarizeJob.configuration(o));
        SummarizeJob.build(env, o);
        env.execute("summarize-dsv3-test");
        Map<String, DocumentSummary> byId = new TreeMap<>();
        for (String line : Files.readAllLines(out)) {
            DocumentSummary s = RecordJson.mapper().readValue(line, DocumentSummary.class);
            assertThat(byId.put(s.docId(), s)).isNull();
        }
        assertThat(byId.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, String> e : expected.entrySet()) {
            DocumentSummary s = byId.get(e.getKey());
            if (e.getValue() == null) {
                assertThat(s.error()).as(s.docId()).isNull();
                assertThat(s.summary()).isNotNull().doesNotContain("<think>", "</think>");
                assertThat(s.completionTokens()).isPositive();
            } else {
                assertThat(s.error()).as(s.docId()).containsIgnoringCase(e.getValue());
            }
        }
        assertThat(byId.values()).anySatisfy(s -> assertThat(s.chunks()).isGreaterThan(1));
    }
}
