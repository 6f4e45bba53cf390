package io.r1stream.engine.model;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MatmulThreadsTest {

    @Test
    void everyRowRunsExactlyOnceInAlignedChunks() {
        try (MatmulThreads t = new MatmulThreads(2)) {
            for (int call = 0; call < 2000; call++) {
                int rows = 8 + call % 997, align = call % 3 == 0 ? 4 : 1;
                AtomicIntegerArray seen = new AtomicIntegerArray(rows);
                t.forRows(rows, align, (from, to) -> {
                    assertThat(from % align).isZero();
                    for (int r = from; r < to; r++) seen.incrementAndGet(r);
                });
                for (int r = 0; r < rows; r++) assertThat(seen.get(r)).as("call %d row %d of %d", call, r, rows).isEqualTo(1);
            }
        }
    }

    @Test
    void aFailureInAnyChunkReachesTheCallerAndTheThreadsStayUsable() {
        try (MatmulThreads t = new MatmulThreads(2)) {
            assertThatThrownBy(() -> t.forRows(64, 4, (from, to) -> {
                if (from <= 60 && 60 < to) throw new IllegalStateException("row 60");
            })).isInstanceOf(IllegalStateException.class).hasMessage("row 60");
            AtomicIntegerArray seen = new AtomicIntegerArray(64);
            t.forRows(64, 4, (from, to) -> { for (int r = from; r < to; r++) seen.incrementAndGet(r); });
            for (int r = 0; r < 64; r++) assertThat(seen.get(r)).isEqualTo(1);
        }
    }

    @Test
    void chunksShareOutEvenlyWhereTheNominalFourPerThreadDoNot() {
        // Qwen2-0.5B's 32-row-aligned matmuls at 2 threads: o_proj/down_proj, fused qkv, fused gate/up
        assertThat(MatmulThreads.chunkRows(896, 32, 32, 2)).isEqualTo(64);    // 14 chunks, 7 each (was 7 of 128: 4 and 3)
        assertThat(MatmulThreads.chunkRows(1152, 32, 32, 2)).isEqualTo(96);   // 12 chunks (was 8 of 160: 4 and 3 + a 32)
        assertThat(MatmulThreads.chunkRows(9728, 32, 32, 2)).isEqualTo(1216); // 8 even chunks, as before
        // q4 decode's floor of 128 rows: 896 rows stay 7 chunks of 128, gate/up stays 8 even 1216-row chunks
        assertThat(MatmulThreads.chunkRows(896, 32, 128, 2)).isEqualTo(128);
        assertThat(MatmulThreads.chunkRows(9728, 32, 128, 2)).isEqualTo(1216);
        assertThat(MatmulThreads.busiestRows(896, 128, 2)).isEqualTo(512);
        assertThat(MatmulThreads.busiestRows(896, 96, 2)).isEqualTo(480); // chunks 0, 2, .., 8 of 96; the 32-row last is thread 1's
        assertThat(MatmulThreads.busiestRows(100, 30, 3)).isEqualTo(40);  // 30 + 10 (the last chunk wraps to thread 0)
        for (int threads = 2; threads <= 4; threads++) {
            for (int align : new int[] {32, 48, 64}) {
                for (int rows = 2 * align; rows < 20_000; rows += 97) {
                    int units = (rows + align - 1) / align, per = MatmulThreads.chunkRows(rows, align, align, threads);
                    int nominal = Math.max(1, (units + 4 * threads - 1) / (4 * threads)) * align;
                    String as = "rows %d align %d threads %d".formatted(rows, align, threads);
                    assertThat(per % align).as(as).isZero();
                    assertThat(per).as(as).isBetween(nominal / 2, nominal);
                    assertThat(MatmulThreads.busiestRows(rows, per, threads)).as(as)
                            .isLessThanOrEqualTo(MatmulThreads.busiestRows(rows, nominal, threads))
                            .isGreaterThanOrEqualTo((rows + threads - 1) / threads);
                    int floored = MatmulThreads.chunkRows(rows, align, 4 * align, threads);
                    assertThat(floored).as(as).isGreaterThanOrEqualTo(Math.min(nominal, 4 * align)).isLessThanOrEqualTo(nominal);
                }
            }
        }
    }
}
