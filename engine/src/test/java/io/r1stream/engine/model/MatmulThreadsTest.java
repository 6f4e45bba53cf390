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
}
