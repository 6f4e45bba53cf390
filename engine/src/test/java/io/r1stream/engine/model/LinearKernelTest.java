package io.r1stream.engine.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Differential test of the Vector API matmul kernels against a plain double-precision loop. */
class LinearKernelTest {

    @ParameterizedTest
    @CsvSource({"37,50,1,1", "37,50,9,1", "64,64,4,1", "131,96,7,2", "8,17,5,2", "3,16,2,1", "160,896,16,2",
            // the panel (prefill) kernel: whole and partial panels of 32 rows, 8-row blocks and single rows, 2 threads
            "70,50,37,1", "96,128,32,2", "45,33,41,2",
            // bf16 column tiles: decode and batches over whole pairs, a single tile and a partial last tile
            "33,40,1,2", "64,64,17,2", "80,24,8,1", "20,7,3,1",
            // batch 1 over 8 and 4 tiles at once, then single tiles and a partial one (117 = 4L + 2L + L + 5, 197 = 8L + 4L + L + 5)
            "117,40,1,1", "117,33,1,2", "197,40,1,1",
            // in > 1024: 3-tile groups (117 rows: two groups of 3L, then a pair with a partial tile), remainder sequences
            "117,1032,11,2",
            // several 3-tile and 2-tile groups, the sequences past the last block of 8, and a partial last tile
            // (300 = 18L + 12), 1 and 2 threads
            "300,1040,19,2", "300,200,16,1", "260,136,8,2"})
    void tiledKernelsMatchAPlainLoop(int out, int in, int batch, int threads) {
        SplittableRandom r = new SplittableRandom(out * 31L + in);
        float[] w = new float[out * in];
        short[] wb = new short[out * in];
        for (int i = 0; i < w.length; i++) {
            wb[i] = TensorDtype.floatToBf16((float) r.nextGaussian());
            w[i] = TensorDtype.bf16ToFloat(wb[i]); // same values in both formats
        }
        float[] x = new float[batch * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        try (MatmulThreads t = new MatmulThreads(threads)) {
            float[] yf = new float[batch * out], yb = new float[batch * out];
            new F32Linear(w, out, in, t).apply(x, batch, yf);
            Bf16Linear bf16 = new Bf16Linear(wb, out, in, t);
            bf16.apply(x, batch, yb);
            float[] row = new float[in];
            bf16.row(out - 1, row, 0);
            for (int i = 0; i < in; i++) assertThat(row[i]).as("embedding row %d", i).isEqualTo(w[(out - 1) * in + i]);
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < out; o++) {
                    double ref = 0;
                    for (int i = 0; i < in; i++) ref += (double) w[o * in + i] * x[b * in + i];
                    double tol = 1e-5 * Math.sqrt(in) * 4;
                    assertThat((double) yf[b * out + o]).as("f32 b=%d o=%d", b, o).isCloseTo(ref, org.assertj.core.data.Offset.offset(tol));
                    assertThat((double) yb[b * out + o]).as("bf16 b=%d o=%d", b, o).isCloseTo(ref, org.assertj.core.data.Offset.offset(tol));
                }
            }
        }
    }

    /**
     * A sequence's output does not depend on the batch it runs in: batch 1, the 8-sequence blocks, the 4-sequence
     * blocks and single rows give the same bits (the summarization job's same output at any parallelism).
     */
    @ParameterizedTest
    @CsvSource({"117,40,13,1", "96,33,21,2", "64,64,9,1", "197,24,11,2", "117,1040,11,2", "300,1040,19,2", "272,200,17,1", "300,48,3,2", "300,1040,7,1"})
    void bf16ResultsDoNotDependOnTheBatch(int out, int in, int batch, int threads) {
        SplittableRandom r = new SplittableRandom(out * 7L + in);
        short[] wb = new short[out * in];
        for (int i = 0; i < wb.length; i++) wb[i] = TensorDtype.floatToBf16((float) r.nextGaussian());
        float[] x = new float[batch * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        try (MatmulThreads t = new MatmulThreads(threads)) {
            Bf16Linear lin = new Bf16Linear(wb, out, in, t);
            float[] y = new float[batch * out];
            lin.apply(x, batch, y);
            for (int b = 0; b < batch; b++) {
                float[] one = new float[out];
                lin.apply(java.util.Arrays.copyOfRange(x, b * in, (b + 1) * in), 1, one);
                for (int o = 0; o < out; o++) assertThat(y[b * out + o]).as("b=%d o=%d", b, o).isEqualTo(one[o]);
            }
        }
    }
}
