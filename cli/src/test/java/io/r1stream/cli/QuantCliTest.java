package io.r1stream.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.r1stream.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** model create --quant, model quantize, --weight-format int8|q4 and bench quality as a user runs them. */
class QuantCliTest {
    @TempDir static Path tmp;
    static Path model;

    @BeforeAll
    static void createModel() {
        model = tmp.resolve("tiny");
        CliTest.Run r = run("model", "create", "--size", "tiny", "--seed", "4", "--out", model.toString());
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @Test
    void aGeneratedGptqCheckpointLoadsAndGenerates() throws Exception {
        Path q = tmp.resolve("gptq");
        CliTest.Run c = run("model", "create", "--size", "tiny", "--seed", "4", "--quant", "gptq", "--bits", "4", "--group-size", "32",
                "--desc-act", "--out", q.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.out()).contains("gptq 4-bit");
        assertThat(Files.readString(q.resolve("config.json"))).contains("\"quant_method\" : \"gptq\"", "\"desc_act\" : true");
        assertThat(Files.exists(q.resolve("tokenizer.json"))).isTrue();
        assertThat(Files.exists(tmp.resolve("gptq.dense-tmp"))).isFalse();
        CliTest.Run g = run("generate", "--model", q.toString(), "--prompt", "hi", "--max-tokens", "4", "--temperature", "0");
        assertThat(g.exit()).as(g.err()).isZero();
        assertThat(g.out()).contains("tokens/s");
    }

    @Test
    void aQuantizedCheckpointGeneratesWhatQuantizingAtLoadGenerates() {
        Path q = tmp.resolve("q4");
        CliTest.Run w = run("model", "quantize", "--in", model.toString(), "--out", q.toString(), "--format", "q4");
        assertThat(w.exit()).as(w.err()).isZero();
        String[] gen = {"generate", "--prompt", "Why is the sky blue?", "--max-tokens", "8", "--temperature", "0", "--json"};
        CliTest.Run saved = run(concat(gen, "--model", q.toString()));
        CliTest.Run atLoad = run(concat(gen, "--model", model.toString(), "--weight-format", "q4"));
        assertThat(saved.exit()).as(saved.err()).isZero();
        assertThat(saved.out().replaceAll("\"(ttft_ms|tokens_per_second)\":[0-9.eE+-]+", ""))
                .isEqualTo(atLoad.out().replaceAll("\"(ttft_ms|tokens_per_second)\":[0-9.eE+-]+", ""));
    }

    @Test
    void benchQualityPrintsOneRowPerFormat() {
        CliTest.Run r = run("bench", "quality", "--model", model.toString(), "--formats", "int8,q4;keep=lm_head,down_proj", "--prompts", "1", "--positions", "3");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("mean KL", "int8 |", "q4:keep=lm_head,down_proj |");
    }

    @Test
    void benchKernelsPrintsOneRowPerFormatShapeAndBatch() {
        CliTest.Run r = run("bench", "kernels", "--formats", "bf16,q4", "--shapes", "64x96,40x32", "--batch", "1,9", "--rounds", "1",
                "--resident-mib", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        java.util.List<String> rows = r.out().lines().filter(l -> l.matches("(bf16|q4) \\| \\d+x\\d+ \\| \\d+ \\| .*")).toList();
        assertThat(rows).hasSize(8);
        for (String row : rows) assertThat(Double.parseDouble(row.split(" \\| ")[5])).as(row).isPositive();
        assertThat(rows.get(0)).startsWith("bf16 | 64x96 | 1 | ");
        assertThat(run("bench", "kernels", "--shapes", "64x").err()).contains("--shapes entry '64x' must be OUTxIN");
        assertThat(run("bench", "kernels", "--formats", "q5").err()).contains("weight format 'q5' is not one of");
    }

    /**
     * Rounds alternate with the peer and the table prints medians: a stand-in llama-batched-bench (a shell script,
     * the only fake: the engine and its rounds are real) answers 10, 30 and 20 tokens/s in turn, so the printed
     * figure must be their median, 20, and the range must span the per-round ratios.
     */
    @Test
    void benchBatchingRoundsPrintThePeersMedianAndTheRatioRange() throws Exception {
        Path calls = tmp.resolve("peer-calls"), gguf = tmp.resolve("same.gguf"), peer = tmp.resolve("llama-batched-bench");
        Files.writeString(gguf, "GGUF");
        Files.writeString(peer, String.join("\n",
                "#!/bin/sh",
                "echo x >> '" + calls + "'",
                "n=$(wc -l < '" + calls + "')",
                "while [ $# -gt 0 ]; do case $1 in -npl) pl=$2;; -ntg) tg=$2;; esac; shift; done",
                "case $(( (n - 1) % 3 )) in 0) rate=10;; 1) rate=30;; *) rate=20;; esac",
                "echo 'main: n_kv_max = 100'",
                "awk -v pl=$pl -v tg=$tg -v r=$rate 'BEGIN { printf \"{\\\"pl\\\": %d, \\\"tg\\\": %d, \\\"t\\\": %.6f}\\n\", pl, tg, pl * tg / r }'",
                ""));
        assertThat(peer.toFile().setExecutable(true)).isTrue();
        CliTest.Run r = run("bench", "batching", "--model", model.toString(), "--concurrency", "1,2", "--prompt-tokens", "4",
                "--gen-tokens", "3", "--rounds", "3", "--llama-batched-bench", peer.toString(), "--gguf", gguf.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("medians of 3 round(s) per concurrency, r1stream and llama-batched-bench alternating", "| ratio range");
        assertThat(Files.readAllLines(calls)).hasSize(6);
        for (String c : new String[] {"1", "2"}) {
            String row = r.out().lines().filter(l -> l.trim().startsWith(c + " |")).findFirst().orElseThrow();
            String[] cols = row.split(" \\| ");
            double ours = Double.parseDouble(cols[1].trim()), ratio = Double.parseDouble(cols[8].replace("x", "").trim());
            assertThat(cols[7].trim()).as(row).isEqualTo("20.0");
            assertThat(ratio).as(row).isCloseTo(ours / 20, org.assertj.core.data.Offset.offset(0.011));
            String[] range = cols[9].replace("x", "").trim().split("-");
            assertThat(Double.parseDouble(range[0])).as(row).isLessThanOrEqualTo(ratio).isGreaterThan(0);
            assertThat(Double.parseDouble(range[1])).as(row).isGreaterThanOrEqualTo(ratio);
        }
        assertThat(run("bench", "batching", "--model", model.toString(), "--rounds", "0").err()).contains("--rounds must be at least 1, got 0");
        assertThat(run("bench", "batching", "--model", model.toString(), "--llama-batched-bench", peer.toString()).err())
                .contains("--llama-batched-bench needs --gguf FILE");
        assertThat(run("bench", "batching", "--model", model.toString(), "--llama-batched-bench", peer.toString(), "--gguf",
                tmp.resolve("missing.gguf").toString()).err()).contains("missing.gguf does not exist");
    }

    @Test
    void badFormatsSayWhatToUse() {
        assertThat(run("generate", "--model", model.toString(), "--prompt", "x", "--weight-format", "q5").err())
                .contains("weight format 'q5' is not one of f32, bf16, int8, q4");
        assertThat(run("model", "quantize", "--in", model.toString(), "--out", tmp.resolve("z").toString(), "--format", "bf16").err())
                .contains("must be int8 or q4");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
