package io.r1stream.engine.model;

import io.r1stream.engine.model.gen.ModelSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stated accuracy bounds of the quantized formats (README "Quantized weights"), on the small generated
 * Qwen2 shape against its bf16 weights: per-row int8 stays within mean KL 1e-3 and 90% greedy agreement,
 * q4 (g32) within mean KL 5e-2 and 40% (random weights have near-tied top tokens, so greedy agreement is a
 * harsh measure here: measured 2.1e-4 / 94% and 3.1e-2 / 50%), and the lossless default equals the baseline exactly.
 */
class QuantizationQualityTest {
    @TempDir Path tmp;

    @Test
    void quantizedFormatsStayWithinTheirStatedBounds() throws Exception {
        Path dir = WeightsOnlyModel.write(tmp, Architecture.QWEN2, ModelSize.SMALL, TensorDtype.BF16, 1, 21);
        Transformer base = QuantizedCheckpointTest.load(dir, "auto");
        int vocab = base.config().vocabSize();
        LogitAgreement same = LogitAgreement.measure(base, QuantizedCheckpointTest.load(dir, "bf16"), vocab, 2, 8, 8, 3);
        assertThat(same.maxAbsDiff()).isZero();
        assertThat(same.greedyAgreement()).isEqualTo(1.0);

        LogitAgreement int8 = LogitAgreement.measure(base, QuantizedCheckpointTest.load(dir, "int8"), vocab, 2, 8, 8, 3);
        assertThat(int8.meanKl()).as("int8 mean KL").isLessThan(1e-3);
        assertThat(int8.greedyAgreement()).as("int8 agreement").isGreaterThanOrEqualTo(0.9);

        LogitAgreement q4 = LogitAgreement.measure(base, QuantizedCheckpointTest.load(dir, "q4"), vocab, 2, 8, 8, 3);
        assertThat(q4.meanKl()).as("q4 mean KL").isLessThan(5e-2).isGreaterThan(int8.meanKl());
        assertThat(q4.greedyAgreement()).as("q4 agreement").isGreaterThanOrEqualTo(0.4);
    }
}
