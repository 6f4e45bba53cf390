package io.r1stream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The commands as a user runs them: output shapes, and a message that says what to fix for bad input. */
class CliTest {
    @TempDir static Path tmp;
    static Path model;

    record Run(int exit, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = R1stream.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    @BeforeAll
    static void createModel() {
        model = tmp.resolve("tiny");
        Run r = run("model", "create", "--arch", "qwen2", "--size", "tiny", "--dtype", "bf16", "--seed", "3", "--out", model.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote tiny model");
    }

    @Test
    void generateJsonHasEveryFieldAndTheSameSeedGivesTheSameText() throws Exception {
        String[] args = {"generate", "--model", model.toString(), "--prompt", "Why is the sky blue?", "--max-tokens", "12",
                "--temperature", "0.8", "--seed", "5", "--json"};
        Run a = run(args), b = run(args);
        assertThat(a.exit()).as(a.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(a.out().trim());
        for (String f : new String[]{"reasoning_content", "content", "finish_reason", "prompt_tokens", "completion_tokens", "ttft_ms", "tokens_per_second"}) {
            assertThat(j.has(f)).as(f).isTrue();
        }
        assertThat(j.get("completion_tokens").asInt()).isBetween(1, 12);
        assertThat(j.get("prompt_tokens").asInt()).isGreaterThan(5);
        JsonNode k = new ObjectMapper().readTree(b.out().trim());
        assertThat(k.get("reasoning_content")).isEqualTo(j.get("reasoning_content"));
        assertThat(k.get("content")).isEqualTo(j.get("content"));
    }

    @Test
    void generateTextModePrintsReasoningAnswerAndSpeedLine() {
        Run r = run("generate", "--model", model.toString(), "--prompt", "hi", "--max-tokens", "4", "--temperature", "0");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("---- reasoning ----", "---- answer ----", "prompt tokens", "time to first token", "tokens/s");
    }

    @Test
    void logitsPrintsOneFloatPerVocabularyEntry() throws Exception {
        Run r = run("logits", "--model", model.toString(), "--token-ids", "1,2,3");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out().trim());
        assertThat(j.get("token_ids").toString()).isEqualTo("[1,2,3]");
        assertThat(j.get("logits").size()).isEqualTo(1024);
        Run djl = run("logits", "--model", model.toString(), "--token-ids", "1,2,3", "--device", "djl-cpu");
        JsonNode d = new ObjectMapper().readTree(djl.out().trim());
        for (int i = 0; i < 1024; i += 97) {
            assertThat(d.get("logits").get(i).asDouble()).isCloseTo(j.get("logits").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-3));
        }
    }

    @Test
    void benchPipelineRunsBothPathsAndPrintsTheRatio() {
        Run r = run("bench", "pipeline", "--model", model.toString(), "--conversations", "2", "--turns", "2", "--max-tokens", "4",
                "--dir", tmp.resolve("bench-pipeline").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("machine:", "bare engine", "Kafka+Flink at-least-once", "of the bare engine's tokens/s");
        assertThat(r.out()).containsPattern("bare engine +\\| +4 \\|").containsPattern("at-least-once \\| +4 \\|");
    }

    @Test
    void summarizeWritesOneLinePerDocumentIncludingErrors() throws Exception {
        Path docs = tmp.resolve("docs");
        java.nio.file.Files.createDirectories(docs.resolve("sub"));
        java.nio.file.Files.writeString(docs.resolve("a.txt"), "Flink keeps state. Kafka keeps logs. ".repeat(30));
        java.nio.file.Files.writeString(docs.resolve("sub/b.md"), "# Notes\n\nShort note.");
        java.nio.file.Files.writeString(docs.resolve("empty.txt"), "");
        Path out = tmp.resolve("summaries.jsonl");
        Run r = run("summarize", "--input", docs.toString(), "--output", out.toString(), "--model", model.toString(),
                "--max-chunk-tokens", "64", "--max-summary-tokens", "4", "--web-ui-port", "0");
        List<String> lines = java.nio.file.Files.readAllLines(out);
        assertThat(lines).as(r.err()).hasSize(3);
        String all = String.join("\n", lines);
        assertThat(all).contains("\"doc_id\":\"a.txt\"", "\"doc_id\":\"sub/b.md\"", "\"error\"");
        JsonNode a = lines.stream().map(CliTest::json).filter(j -> j.get("doc_id").asText().equals("a.txt")).findFirst().orElseThrow();
        assertThat(a.get("chunks").asInt()).isGreaterThan(1);
        assertThat(a.has("summary")).isTrue();
    }

    private static JsonNode json(String line) {
        try { return new ObjectMapper().readTree(line); } catch (Exception e) { throw new IllegalStateException(e); }
    }

    @Test
    void badArgumentsSayWhatToFix() {
        assertThat(run("model", "create", "--size", "huge", "--out", tmp.resolve("x").toString()).err()).contains("--size 'huge' is not one of");
        assertThat(run("model", "create", "--dtype", "int4", "--out", tmp.resolve("x").toString()).err()).contains("--dtype 'int4' is not one of bf16, f16, f32");
        assertThat(run("model", "create", "--arch", "llama", "--size", "qwen2-0.5b", "--out", tmp.resolve("y").toString()).err()).contains("use --arch qwen2");
        Run missing = run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("does not exist").contains("model create");
        assertThat(run("generate", "--model", model.toString(), "--prompt", "x", "--top-p", "1.5").err()).contains("top_p must be in (0, 1]");
        assertThat(run("logits", "--model", model.toString(), "--token-ids", "1,99999").err()).contains("99999 is outside the vocabulary [0, 1024)");
        assertThat(run("generate", "--model", model.toString(), "--prompt", "x", "--device", "gpu").err()).contains("--device gpu");
        assertThat(run("generate", "--prompt", "x").err()).contains("Missing required option: '--model=DIR'");
        assertThat(run("kafka", "--port", "70000").err()).contains("is not a TCP port");
    }

    @Test
    void everyCommandHasHelp() {
        Deque<CommandLine> todo = new ArrayDeque<>();
        todo.add(R1stream.commandLine());
        int seen = 0;
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            if (c.getCommandName().equals("help")) continue;
            assertThat(c.getCommandSpec().optionsMap()).as(c.getCommandName()).containsKey("--help");
            assertThat(c.getUsageMessage()).contains("Usage:");
            seen++;
        }
        assertThat(seen).isGreaterThanOrEqualTo(9);
    }
}
