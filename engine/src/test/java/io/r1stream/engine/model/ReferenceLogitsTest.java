package io.r1stream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r1stream.engine.model.gen.ModelSize;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runtime's logits against an independent implementation of the same architectures
 * (tools/reference/hf_logits.py: numpy, written from the transformers source) on the same generated files.
 * Both compute in float32, so they must agree to float32 rounding, not merely in argmax.
 */
class ReferenceLogitsTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @CsvSource({"QWEN2,BF16,BF16", "QWEN2,F32,F32", "LLAMA,BF16,BF16", "LLAMA,F16,F32", "QWEN2,BF16,F32"})
    void logitsAgreeWithTheNumpyReferenceToFloat32Rounding(Architecture arch, TensorDtype dtype, WeightFormat format) throws Exception {
        Path dir = WeightsOnlyModel.write(tmp, arch, ModelSize.SMALL, dtype, dtype == TensorDtype.F16 ? 2 : 1, 5);
        int[] tokens = {3, 141, 59, 26, 535, 89, 79, 323, 84, 626, 433, 83, 279, 502, 88, 41, 97, 1690, 399, 37};
        float[] ours = WeightsOnlyModel.prefillLogits(WeightsOnlyModel.load(dir, format), tokens);
        float[] ref = reference(dir, tokens);
        assertThat(ref).hasSameSizeAs(ours);
        double maxAbs = 0, maxLogit = 0;
        for (int i = 0; i < ours.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ours[i] - ref[i]));
            maxLogit = Math.max(maxLogit, Math.abs(ref[i]));
        }
        // float32 rounding over 4 layers of 256-wide dot products: ~1e-6 relative to the logit scale.
        assertThat(maxAbs).as("max |ours - reference| with logits up to %.2f", maxLogit).isLessThan(2e-5 * Math.max(1, maxLogit));
    }

    static float[] reference(Path dir, int[] tokens) throws Exception {
        Path script = Path.of("..", "tools", "reference", "hf_logits.py").toAbsolutePath().normalize();
        assertThat(script).exists();
        String ids = Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(","));
        Process p = new ProcessBuilder("python3", script.toString(), "--model", dir.toString(), "--token-ids", ids)
                .redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("hf_logits.py failed: %s", err).isZero();
        JsonNode logits = new ObjectMapper().readTree(out).get("logits");
        float[] r = new float[logits.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) logits.get(i).asDouble();
        return r;
    }
}
