package io.r1stream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.r1stream.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** DeepseekV3 from the command line: generated FP8 models, R1's config and `model plan`. */
class DeepseekV3CliTest {
    @TempDir Path tmp;

    @Test
    void planPrintsR1sArithmeticFromItsConfigAlone() throws Exception {
        Path r1 = tmp.resolve("r1");
        CliTest.Run c = run("model", "create", "--arch", "deepseek_v3", "--size", "deepseek-r1", "--config-only", "--out", r1.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(r1.resolve("config.json")).exists();
        assertThat(r1.resolve("model.safetensors")).doesNotExist();
        assertThat(Files.readString(r1.resolve("config.json"))).contains("\"weight_block_size\" : [ 128, 128 ]");
        CliTest.Run p = run("model", "plan", "--model", r1.toString(), "--gpus", "8", "--gpu-memory", "141GB", "--context-tokens", "32768");
        assertThat(p.exit()).as(p.err()).isZero();
        assertThat(p.out()).contains("DeepseekV3ForCausalLM")
                .contains("35,136 values -> 70,272 bytes at bf16")
                .contains("4,997,120 bytes")
                .contains("671.0B total")
                .contains("conversations of 32,768 tokens")
                .contains("32 routed experts per GPU");
        CliTest.Run small = run("model", "plan", "--model", r1.toString(), "--gpus", "8", "--gpu-memory", "80GiB");
        assertThat(small.out()).contains("does not fit");
        CliTest.Run big = run("model", "create", "--arch", "deepseek_v3", "--size", "deepseek-r1", "--out", tmp.resolve("x").toString());
        assertThat(big.exit()).isNotZero();
        assertThat(big.err()).contains("--config-only");
    }

    @Test
    void aGeneratedFp8ModelGenerates() throws Exception {
        Path m = tmp.resolve("tiny-fp8");
        CliTest.Run c = run("model", "create", "--arch", "deepseek_v3", "--size", "tiny", "--fp8", "--shards", "2", "--out", m.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(Files.readString(m.resolve("config.json"))).contains("\"quant_method\" : \"fp8\"").contains("\"weight_block_size\" : [ 32, 32 ]");
        CliTest.Run g = run("generate", "--model", m.toString(), "--prompt", "Hi", "--max-tokens", "4", "--json");
        assertThat(g.exit()).as(g.err()).isZero();
        assertThat(g.out()).contains("\"completion_tokens\":4");
        CliTest.Run logits = run("logits", "--model", m.toString(), "--token-ids", "1,2,3,4");
        assertThat(logits.exit()).as(logits.err()).isZero();
        assertThat(logits.out()).startsWith("{\"token_ids\":[1,2,3,4],\"logits\":[");
        CliTest.Run gpu = run("generate", "--model", m.toString(), "--prompt", "Hi", "--max-tokens", "4", "--device", "gpu");
        assertThat(gpu.exit()).isNotZero();
        assertThat(gpu.err()).contains("DeepseekV3ForCausalLM").contains("--device cpu");
    }
}
