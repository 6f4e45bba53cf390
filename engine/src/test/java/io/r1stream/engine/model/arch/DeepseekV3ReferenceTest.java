package io.r1stream.engine.model.arch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.WeightFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DeepseekV3 logits against an independent numpy implementation (tools/reference/deepseek_v3_logits.py, written
 * from the transformers and DeepSeek sources) on the same generated files, at every position of a 40-token
 * sequence: a 20-token prefill (expanded MLA) then 20 single-token decode steps (absorbed MLA over the latent
 * cache). Many positions, because a wrong YaRN softmax scale cannot show at position 0. Both compute in float32,
 * so they must agree to float32 rounding.
 */
class DeepseekV3ReferenceTest {
    @TempDir Path tmp;

    static final int[] TOKENS = {3, 141, 59, 26, 535, 89, 79, 323, 84, 626, 433, 83, 279, 502, 88, 41, 97, 1002, 399, 37,
            5, 17, 300, 42, 7, 99, 1000, 3, 64, 512, 11, 250, 8, 777, 12, 640, 33, 901, 2, 66};
    static final int PREFILL = 20;

    @ParameterizedTest(name = "{0} fp8={1} qLora={2} yarn={3} shards={4} as {5}")
    @CsvSource({
            "BF16, false, true,  true,  1, BF16",
            "F32,  false, false, false, 1, F32",
            "F32,  false, true,  false, 2, F32",
            "BF16, false, false, true,  3, BF16",
            "BF16, true,  true,  true,  3, F32",
            "BF16, true,  false, true,  1, BF16"})
    void logitsAtEveryPositionAgreeWithTheNumpyReference(TensorDtype dtype, boolean fp8, boolean qLora, boolean yarn,
                                                         int shards, WeightFormat format) throws Exception {
        Path dir = DeepseekV3Models.write(tmp, dtype, fp8, qLora, yarn, shards, 11);
        AssembledDecoder d = DeepseekV3Models.load(dir, format);
        float[][] ours = new float[TOKENS.length][];
        KvSequence kv = DeepseekV3Models.sequence(d, TOKENS.length);
        ours[PREFILL - 1] = DeepseekV3Models.step(d, kv, Arrays.copyOf(TOKENS, PREFILL));
        for (int i = PREFILL; i < TOKENS.length; i++) ours[i] = DeepseekV3Models.step(d, kv, TOKENS[i]);

        // FP8 held as bf16 = dequantized then rounded to bf16, as DeepSeek's fp8_cast_bf16 does
        float[][] ref = reference(dir, TOKENS, fp8 && format == WeightFormat.BF16 ? "bf16" : "f32");
        for (int i = PREFILL - 1; i < TOKENS.length; i++) {
            double maxAbs = 0, maxLogit = 0;
            for (int v = 0; v < ref[i].length; v++) {
                maxAbs = Math.max(maxAbs, Math.abs(ours[i][v] - ref[i][v]));
                maxLogit = Math.max(maxLogit, Math.abs(ref[i][v]));
            }
            // float32 rounding over 3 layers (MLA, 8-expert MoE): ~1e-6 relative to the logit scale
            assertThat(maxAbs).as("position %d: max |ours - reference| with logits up to %.2f", i, maxLogit)
                    .isLessThan(3e-5 * Math.max(1, maxLogit));
        }
    }

    /** All positions' logits from the numpy reference. */
    static float[][] reference(Path dir, int[] tokens, String fp8Dequant) throws Exception {
        Path script = Path.of("..", "tools", "reference", "deepseek_v3_logits.py").toAbsolutePath().normalize();
        assertThat(script).exists();
        String ids = Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(","));
        Process p = new ProcessBuilder("python3", script.toString(), "--model", dir.toString(), "--token-ids", ids,
                "--all-positions", "--fp8-dequant-dtype", fp8Dequant).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("deepseek_v3_logits.py failed: %s", err).isZero();
        JsonNode logits = new ObjectMapper().readTree(out).get("logits");
        float[][] r = new float[logits.size()][];
        for (int i = 0; i < r.length; i++) {
            JsonNode row = logits.get(i);
            r[i] = new float[row.size()];
            for (int v = 0; v < r[i].length; v++) r[i][v] = (float) row.get(v).asDouble();
        }
        return r;
    }
}
