package io.r1stream.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * Differential test of the int8 and q4 kernels (single-row decode path and the batched dequantize-to-tile
 * path, with and without zero points and GPTQ act-order input gathers) against a plain double-precision loop
 * over the dequantized matrix.
 */
class QuantKernelTest {

    @ParameterizedTest
    @CsvSource({
            "8,37,64,32,false,false,1,1", "8,37,64,64,true,false,3,1", "8,130,96,0,false,false,9,2",
            "8,64,160,32,true,true,5,2", "8,20,896,128,false,false,16,2",
            "4,37,64,32,false,false,1,1", "4,37,64,64,true,false,2,1", "4,130,96,32,false,true,9,2",
            "4,64,160,32,true,true,4,2", "4,20,896,128,true,false,16,2", "4,17,128,0,false,false,7,1",
            // decode fast paths: int8 one scale per row at batch 1; q4 whole planes (128 inputs) and a 32-input tail
            "8,19,128,0,false,false,1,2", "8,21,896,0,false,false,1,1", "4,21,384,0,false,false,1,1",
            "4,9,288,32,false,false,1,2", "4,23,288,96,true,false,2,1",
            // int8 column tiles (one scale per row): zero points, partial last tile, pairs and single tiles, 8-row blocks
            "8,50,96,0,true,false,1,1", "8,37,64,0,true,true,17,2", "8,72,80,0,false,false,8,2", "8,48,64,0,true,false,11,1",
            // q4 column tiles: 8-sequence blocks over whole tile pairs, panels across the 128-input
            // chunk edge, a single last tile, remainder sequences, decode over a partial tile, group = in, groups of 8;
            // 117 rows = three pairs, then a pair with a partial tile, over 3 chunks and 3 remainder sequences (decoded)
            "4,64,288,32,false,false,8,1", "4,117,392,56,true,false,11,2", "4,48,512,64,true,false,19,2", "4,35,96,96,false,true,3,1", "4,40,264,8,true,false,1,1",
            "4,40,264,8,false,false,12,1", "4,117,392,32,true,false,6,2", "8,300,1040,0,true,false,3,2", "8,197,64,0,false,false,6,1", "8,300,64,0,true,false,13,2",
            // decode over several tiles at once (int8: 8 and 4), then single tiles and a partial one (117 rows)
            "8,117,64,0,true,false,1,1", "8,197,64,0,true,false,1,1", "8,117,1040,0,true,false,11,2", "8,300,1040,0,true,false,19,2", "8,272,208,0,false,false,16,1", "8,117,48,0,false,false,1,2", "4,117,96,32,true,false,1,1", "4,117,64,0,false,false,2,2",
            // prefill (panel kernel): batch >= 32, partial panels, act order, 2 threads
            "8,70,128,64,true,true,37,2", "8,33,96,0,false,false,40,1", "4,70,160,32,true,false,33,2", "4,45,128,0,false,true,48,1"})
    void kernelsMatchAPlainLoop(int bits, int out, int in, int group, boolean zp, boolean permuted, int batch, int threads) {
        SplittableRandom r = new SplittableRandom(out * 31L + in + bits);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        QuantizedMatrix m = WeightQuantizer.quantize(w, out, in, bits, group == 0 ? in : group, zp);
        if (permuted) m = new QuantizedMatrix(m.bits(), out, in, m.group(), m.codes(), m.scales(), m.zeros(), shuffled(in, r));
        float[] dense = m.dequantize();
        float[] x = new float[batch * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        try (MatmulThreads t = new MatmulThreads(threads)) {
            Linear lin = WeightQuantizer.linear(m, t);
            assertThat(lin).isInstanceOf(bits == 8 ? Int8Linear.class : Q4Linear.class);
            float[] y = new float[batch * out];
            lin.apply(x, batch, y);
            lin.apply(x, batch, y); // twice: reused buffers must not leak state between calls
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < out; o++) {
                    double ref = 0, mag = 0;
                    for (int i = 0; i < in; i++) {
                        ref += (double) dense[o * in + i] * x[b * in + i];
                        mag += Math.abs((double) dense[o * in + i] * x[b * in + i]);
                    }
                    assertThat((double) y[b * out + o]).as("b=%d o=%d", b, o).isCloseTo(ref, offset(1e-5 * mag + 1e-6));
                }
            }
            float[] row = new float[in];
            ((EmbeddingRows) lin).row(out - 1, row, 0);
            for (int i = 0; i < in; i++) assertThat(row[i]).isEqualTo(dense[(out - 1) * in + i]);
        }
    }

    /** The nibble reading follows -Dr1stream.q4.nibbles, else the vendor (subnormal FMA inputs are free on AMD only). */
    @Test
    void q4NibbleReadingFollowsTheOptionThenTheVendor() {
        assertThat(Q4Tiles.subnormalNibbles(null, "AuthenticAMD")).isTrue();
        assertThat(Q4Tiles.subnormalNibbles("", "GenuineIntel")).isFalse();
        assertThat(Q4Tiles.subnormalNibbles(null, "")).isFalse();
        assertThat(Q4Tiles.subnormalNibbles("Subnormal", "GenuineIntel")).isTrue();
        assertThat(Q4Tiles.subnormalNibbles("convert", "AuthenticAMD")).isFalse();
        assertThatThrownBy(() -> Q4Tiles.subnormalNibbles("fast", "AuthenticAMD"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subnormal or convert").hasMessageContaining("'fast'");
        String option = System.getProperty("r1stream.q4.nibbles");
        boolean expected = option != null ? option.equals("subnormal") : Q4Tiles.cpuVendor().equals("AuthenticAMD");
        assertThat(Q4Tiles.SUBNORMAL_NIBBLES).as("mode in use (option %s, vendor %s)", option, Q4Tiles.cpuVendor()).isEqualTo(expected);
    }

    /**
     * q4 decode reads nibbles as subnormal floats (or converted ones: the build runs this class in both modes, see
     * engine/pom.xml) against activations scaled per sequence by a power of two chosen from max |x|: sequences of zeros, of tiny and of large activations (and one large outlier among small ones)
     * in one batch still match the plain loop to float32 rounding, relative to each sequence's own magnitude. The
     * magnitude counts s z |x| as well: decode sums s q x and s z x apart and subtracts (the zero-point term), so an
     * outlier on a weight at its zero point costs float32 rounding of s z |x|, not of s (q - z) x = 0.
     */
    @ParameterizedTest
    @CsvSource({"true,1", "false,2"})
    void q4DecodeHoldsAtAnyActivationScale(boolean zp, int threads) {
        int out = 80, in = 96, batch = 5;
        SplittableRandom r = new SplittableRandom(7);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        QuantizedMatrix m = WeightQuantizer.quantize(w, out, in, 4, 32, zp);
        float[] dense = m.dequantize();
        float[] scale = {0f, 1e-30f, 1e-3f, 3e4f, 1f};
        float[] x = new float[batch * in];
        for (int b = 0; b < batch; b++) for (int i = 0; i < in; i++) x[b * in + i] = (float) r.nextGaussian() * scale[b];
        x[4 * in + 17] = 6e4f; // an outlier sets the scale of the whole row
        try (MatmulThreads t = new MatmulThreads(threads)) {
            Linear lin = WeightQuantizer.linear(m, t);
            float[] y = new float[batch * out];
            lin.apply(x, batch, y);
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < out; o++) {
                    double ref = 0, mag = 0;
                    for (int i = 0; i < in; i++) {
                        ref += (double) dense[o * in + i] * x[b * in + i];
                        double sz = (double) m.scales()[o * m.groups() + i / m.group()] * m.zero(o, i / m.group());
                        mag += (Math.abs((double) dense[o * in + i]) + Math.abs(sz)) * Math.abs(x[b * in + i]);
                    }
                    assertThat(Float.isFinite(y[b * out + o])).as("b=%d o=%d finite", b, o).isTrue();
                    assertThat((double) y[b * out + o]).as("b=%d o=%d", b, o).isCloseTo(ref, offset(1e-5 * mag));
                }
            }
        }
    }

    @Test
    void quantizationErrorIsWithinHalfAStep() {
        SplittableRandom r = new SplittableRandom(7);
        int out = 16, in = 256;
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int bits : new int[]{4, 8}) {
            for (boolean zp : new boolean[]{false, true}) {
                QuantizedMatrix m = WeightQuantizer.quantize(w, out, in, bits, 32, zp);
                float[] d = m.dequantize();
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        float s = Math.abs(m.scales()[o * m.groups() + i / 32]);
                        // Q4_0's symmetric rule puts the extreme at -8, so the other side clips by up to one step;
                        // a rounded zero point shifts the range by up to half a step, clipping one end as much
                        float bound = bits == 8 && !zp ? 0.5f : 1f;
                        assertThat(Math.abs(d[o * in + i] - w[o * in + i])).as("bits %d zp %s", bits, zp).isLessThanOrEqualTo(bound * s * 1.001f + 1e-7f);
                    }
                }
            }
        }
    }

    @Test
    void shapesTheKernelCannotTakeFallBackToExactFloat32() {
        float[] w = new float[3 * 20];
        for (int i = 0; i < w.length; i++) w[i] = i * 0.1f - 3;
        QuantizedMatrix m = WeightQuantizer.quantize(w, 3, 20, 4, 20, false);
        try (MatmulThreads t = new MatmulThreads(1)) {
            Linear lin = WeightQuantizer.linear(m, t);
            assertThat(lin).isInstanceOf(F32Linear.class);
            float[] x = new float[20];
            x[5] = 1;
            float[] y = new float[3];
            lin.apply(x, 1, y);
            assertThat(y[1]).isEqualTo(m.dequantize()[20 + 5]);
        }
    }

    private static int[] shuffled(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /** int8 per row: a sequence's output has the same bits at batch 1 and in any batch (see LinearKernelTest). */
    @ParameterizedTest
    @CsvSource({"117,64,13,false,1", "96,48,21,true,2", "37,32,9,true,1", "197,32,10,true,1", "117,1040,11,true,2", "300,1040,19,true,2", "272,208,17,false,1", "300,64,3,true,2", "300,1040,7,false,1", "300,64,13,true,2", "300,272,24,false,1", "117,1040,4,true,2"})
    void int8ResultsDoNotDependOnTheBatch(int out, int in, int batch, boolean zp, int threads) {
        SplittableRandom r = new SplittableRandom(out * 13L + in);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        QuantizedMatrix m = WeightQuantizer.quantize(w, out, in, 8, in, zp);
        float[] x = new float[batch * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        try (MatmulThreads t = new MatmulThreads(threads)) {
            Linear lin = WeightQuantizer.linear(m, t);
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
