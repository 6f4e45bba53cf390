package io.r1stream.engine.kv;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The K-only KV layout of multi-head latent attention (one latent + rope-key row per token and layer, no V). */
class LatentKvLayoutTest {
    private final KvLayout latent = new KvLayout(2, 6, 4, 0); // 2 layers, 6 values per token and layer, 4-token blocks

    @Test
    void blocksHoldNoVAndCountOnlyTheLatentRow() {
        KvBlock b = new KvBlock(0, latent);
        assertThat(b.k()).hasSize(2 * 4 * 6);
        assertThat(b.v()).isEmpty();
        assertThat(latent.bytesPerBlock()).isEqualTo(4L * 2 * 4 * 6);
        assertThat(latent.valuesPerToken()).isEqualTo(12);
        assertThat(new KvLayout(2, 6, 4).bytesPerBlock()).isEqualTo(2 * latent.bytesPerBlock()); // K + V as before
        KvBlockPool pool = new KvBlockPool(latent, 3 * latent.bytesPerBlock());
        assertThat(pool.capacity()).isEqualTo(3);
    }

    @Test
    void fp16ChunksOfTheLatentCacheRoundTripAndAreRefusedByAKvLayoutOfTheSameWidth() {
        KvChunkCodec codec = new KvChunkCodec(latent, KvEncoding.FP16);
        assertThat(codec.bytesPerPosition()).isEqualTo(2 * 6 * 2); // layers x width x fp16, no V rows
        KvSequence s = new KvSequence(latent);
        KvBlockSource src = KvBlockSource.unbounded(latent);
        s.reserve(6, src);
        for (KvBlock b : s.blocks()) for (int i = 0; i < b.k().length; i++) b.k()[i] = (float) Math.cos(i);
        s.commit(0, new int[]{9, 8, 7, 6, 5, 4});
        List<KvChunk> chunks = codec.encode(s, 4);
        assertThat(chunks).hasSize(2);
        KvSequence back = new KvSequence(latent);
        assertThat(codec.decodeInto(chunks, back, src)).isTrue();
        assertThat(back.tokens()).containsExactly(9, 8, 7, 6, 5, 4);
        for (int p = 0; p < 6; p++) {
            for (int l = 0; l < 2; l++) {
                int off = latent.offset(l, p % 4);
                for (int i = 0; i < 6; i++) {
                    assertThat(back.block(p).k()[off + i]).isCloseTo(s.block(p).k()[off + i], org.assertj.core.data.Offset.offset(1e-3f));
                }
            }
        }
        // a grouped-query model with the same K width would misread these bytes: refused by size
        KvChunkCodec gqa = new KvChunkCodec(new KvLayout(2, 6, 4), KvEncoding.FP16);
        assertThatThrownBy(() -> gqa.check(chunks.get(0))).hasMessageContaining("written for another model");
    }
}
