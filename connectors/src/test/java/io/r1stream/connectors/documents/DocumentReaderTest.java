package io.r1stream.connectors.documents;

import io.r1stream.connectors.records.RawRecord;
import io.r1stream.connectors.records.RecordJson;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DocumentReaderTest {
    @TempDir Path dir;

    @Test
    void listsTextAndMarkdownRecursivelySortedAndReadsEachWithItsError() throws Exception {
        Files.createDirectories(dir.resolve("a/b"));
        Files.writeString(dir.resolve("a/b/n.MD"), "# Title\n\nBody.");
        Files.writeString(dir.resolve("z.txt"), "text");
        Files.write(dir.resolve("bin.txt"), new byte[] {1, 2, 0, 3});
        Files.write(dir.resolve("empty.txt"), new byte[0]);
        Files.writeString(dir.resolve("skip.csv"), "a,b");
        Files.createSymbolicLink(dir.resolve("gone.txt"), dir.resolve("missing"));
        assertThat(DocumentReader.listFolder(dir)).containsExactly("a/b/n.MD", "bin.txt", "empty.txt", "gone.txt", "z.txt");

        assertThat(DocumentReader.readFile(dir, "a/b/n.MD")).isEqualTo(Document.ok("a/b/n.MD", dir.resolve("a/b/n.MD").toString(), "# Title\n\nBody."));
        assertThat(DocumentReader.readFile(dir, "bin.txt").error()).isEqualTo("binary content (NUL byte at offset 2): not a text file");
        assertThat(DocumentReader.readFile(dir, "empty.txt").error()).isEqualTo("empty document (0 bytes)");
        assertThat(DocumentReader.readFile(dir, "gone.txt").error()).startsWith("unreadable: NoSuchFileException");
        assertThat(DocumentReader.fromBytes("x", "s", new byte[] {'c', (byte) 0xE9}).error()).startsWith("binary content (not valid UTF-8");
    }

    @Test
    void jsonLinesAndKafkaRecords() {
        assertThat(DocumentReader.fromJsonLine("f.jsonl", 3, "{\"doc_id\":7,\"text\":\"hi\"}")).isEqualTo(Document.ok("7", "f.jsonl:3", "hi"));
        assertThat(DocumentReader.fromJsonLine("f.jsonl", 4, "[1]").docId()).isEqualTo("line-4");
        byte[] json = "{\"doc_id\":\"d\",\"text\":\"body\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(DocumentReader.fromKafka(new RawRecord("t", 1, 9, -1, null, json))).isEqualTo(Document.ok("d", "t-1@9", "body"));
        assertThat(DocumentReader.fromKafka(new RawRecord("t", 0, 2, -1, "k".getBytes(), "plain {text}".getBytes())))
                .isEqualTo(Document.ok("k", "t-0@2", "plain {text}"));
        assertThat(DocumentReader.fromKafka(new RawRecord("t", 0, 3, -1, null, null)).error()).contains("tombstone");
    }

    @Test
    void summaryLinesOmitWhatDoesNotApply() {
        assertThat(RecordJson.toJson(DocumentSummary.failed("a", "s", "empty document (0 bytes)")))
                .isEqualTo("{\"doc_id\":\"a\",\"source\":\"s\",\"error\":\"empty document (0 bytes)\"}");
        assertThat(RecordJson.toJson(DocumentSummary.of("a", "s", "sum", 3, 1, 100, 20, 12.5)))
                .isEqualTo("{\"doc_id\":\"a\",\"source\":\"s\",\"summary\":\"sum\",\"chunks\":3,\"reduce_levels\":1,"
                        + "\"prompt_tokens\":100,\"completion_tokens\":20,\"latency_ms\":12.5}");
    }
}
