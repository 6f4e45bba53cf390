package io.r1stream.engine.model.load;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Fp8BlockTest {

    @Test
    void decodesE4m3fnCodes() {
        assertThat(Fp8Block.decode((byte) 0x38)).isEqualTo(1f);          // exp 7, mant 0
        assertThat(Fp8Block.decode((byte) 0x7e)).isEqualTo(448f);        // largest finite
        assertThat(Fp8Block.decode((byte) 0xfe)).isEqualTo(-448f);
        assertThat(Fp8Block.decode((byte) 0x08)).isEqualTo(0x1p-6f);     // smallest normal
        assertThat(Fp8Block.decode((byte) 0x01)).isEqualTo(0x1p-9f);     // smallest subnormal
        assertThat(Fp8Block.decode((byte) 0x07)).isEqualTo(7 * 0x1p-9f); // largest subnormal
        assertThat(Fp8Block.decode((byte) 0x3c)).isEqualTo(1.5f);
        assertThat(Fp8Block.decode((byte) 0x78)).isEqualTo(256f);        // exp 15 mant 0 is finite (no infinities)
        assertThat(Fp8Block.decode((byte) 0x7f)).isNaN();
        assertThat(Fp8Block.decode((byte) 0xff)).isNaN();
        assertThat(Float.floatToRawIntBits(Fp8Block.decode((byte) 0x80))).isEqualTo(0x80000000); // -0
    }

    @Test
    void encodeRoundTripsEveryFiniteCode() {
        for (int b = 0; b < 256; b++) {
            if ((b & 0x7f) == 0x7f) continue;
            float v = Fp8Block.decode((byte) b);
            assertThat(Fp8Block.encode(v) & 0xff).as("code 0x%02x (%s)", b, v).isEqualTo(b);
        }
    }

    @Test
    void encodeRoundsToNearestEvenBetweenNeighbours() {
        for (int b = 0; b < 0x7e; b++) {
            float lo = Fp8Block.decode((byte) b), hi = Fp8Block.decode((byte) (b + 1));
            float mid = (lo + hi) / 2;
            int even = (b & 1) == 0 ? b : b + 1;
            assertThat(Fp8Block.encode(mid) & 0xff).as("tie between 0x%02x and 0x%02x", b, b + 1).isEqualTo(even);
            assertThat(Fp8Block.encode(Math.nextDown(mid)) & 0xff).isEqualTo(b);
            assertThat(Fp8Block.encode(Math.nextUp(mid)) & 0xff).isEqualTo(b + 1);
            assertThat(Fp8Block.encode(-Math.nextUp(mid)) & 0xff).isEqualTo(0x80 | (b + 1));
        }
    }

    @Test
    void encodeOverflowAndSpecialsAreNanAsInPytorch() {
        assertThat(Fp8Block.encode(464f) & 0xff).isEqualTo(0x7e);            // tie goes to 448 (even)
        assertThat(Fp8Block.encode(Math.nextUp(464f)) & 0xff).isEqualTo(0x7f);
        assertThat(Fp8Block.encode(1e6f) & 0xff).isEqualTo(0x7f);
        assertThat(Fp8Block.encode(-1e6f) & 0xff).isEqualTo(0xff);
        assertThat(Fp8Block.encode(Float.POSITIVE_INFINITY) & 0xff).isEqualTo(0x7f);
        assertThat(Fp8Block.encode(Float.NaN) & 0xff).isEqualTo(0x7f);
        assertThat(Fp8Block.encode(0x1p-11f) & 0xff).isEqualTo(0);            // below half the smallest subnormal
        assertThat(Fp8Block.encode(-0f) & 0xff).isEqualTo(0x80);
    }

    @Test
    void quantizeThenDequantizeKeepsPartialEdgeBlocks() {
        int rows = 300, cols = 200, br = 128, bc = 128; // blocks (3, 2): bottom rows 44, right cols 72
        SplittableRandom r = new SplittableRandom(7);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * (1 + i / cols / 100)); // blocks differ in range
        w[299 * cols + 199] = 50f; // the corner (partial) block's amax
        Fp8Block.Quantized q = Fp8Block.quantize(w, rows, cols, br, bc);
        assertThat(q.scaleRows()).isEqualTo(3);
        assertThat(q.scaleCols()).isEqualTo(2);
        assertThat(q.scaleInv()).hasSize(6);
        assertThat(q.scaleInv()[5]).isEqualTo(50f / 448f);
        float[] back = Fp8Block.dequantize(q.weights(), rows, cols, q.scaleInv(), br, bc);
        assertThat(back[299 * cols + 199]).isEqualTo(50f); // amax maps to 448 exactly
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float s = q.scaleInv()[(i / br) * 2 + j / bc];
                float v = w[i * cols + j];
                // 3 mantissa bits: relative error <= 2^-4 for normals, absolute <= 2^-10 * s for subnormals
                float tol = Math.max(Math.abs(v) / 16f, s * 0x1p-10f) * 1.0001f;
                assertThat(Math.abs(back[i * cols + j] - v)).as("(%d, %d)", i, j).isLessThanOrEqualTo(tol);
                assertThat(back[i * cols + j]).isEqualTo(Fp8Block.decode(q.weights()[i * cols + j]) * s);
            }
        }
    }

    @Test
    void dequantizeRefusesScalesThatDoNotFitTheBlockGrid() {
        assertThatThrownBy(() -> Fp8Block.dequantize(new byte[300 * 200], 300, 200, new float[4], 128, 128))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(3, 2) = 6")
                .hasMessageContaining("weight_block_size");
        assertThatThrownBy(() -> Fp8Block.dequantize(new byte[10], 3, 4, new float[1], 128, 128))
                .hasMessageContaining("10 bytes");
    }
}
