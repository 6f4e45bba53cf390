package io.r1stream.engine.kv;

import io.r1stream.engine.KvSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The KV pool and retention without a model: head size 1, one layer, 2-token blocks (vLLM block-pool style). */
class KvBlockPoolTest {
    private final KvLayout layout = new KvLayout(1, 1, 2); // a block = 2 positions x (K,V) x 1 float = 16 bytes

    @Test
    void recyclesFreedBlocksFirstInFirstOutBeforeCreatingNewOnes() {
        KvBlockPool pool = new KvBlockPool(layout, 4 * layout.bytesPerBlock());
        KvBlock a = pool.allocate(), b = pool.allocate(), c = pool.allocate();
        assertThat(List.of(a.id(), b.id(), c.id())).containsExactly(0, 1, 2);
        pool.release(b);
        pool.release(a);
        assertThat(pool.allocate().id()).isEqualTo(1);  // freed blocks first, in the order they were freed
        assertThat(pool.allocate().id()).isEqualTo(0);
        assertThat(pool.allocate().id()).isEqualTo(3);  // then a fresh block while under the budget
        assertThat(pool.allocate()).isNull();           // budget: 4 blocks, never more
        assertThat(pool.used()).isEqualTo(4);
    }

    @Test
    void refCountsCatchDoubleRelease() {
        KvBlockPool pool = new KvBlockPool(layout, 2 * layout.bytesPerBlock());
        KvBlock a = pool.allocate();
        assertThat(pool.refCount(a.id())).isEqualTo(1);
        pool.release(a);
        assertThat(pool.refCount(a.id())).isZero();
        assertThatThrownBy(() -> pool.release(a)).hasMessageContaining("released twice");
    }

    @Test
    void budgetBelowOneBlockIsRejectedWithTheFix() {
        assertThatThrownBy(() -> new KvBlockPool(layout, 8)).hasMessageContaining("raise --kv-budget-mib");
    }

    @Test
    void idleConversationsAreEvictedLeastRecentlyUsedFirstToTheHostTierAndBudgetHolds() {
        KvBlockPool pool = new KvBlockPool(layout, 3 * layout.bytesPerBlock());
        ConversationKvCache cache = new ConversationKvCache(pool, new KvChunkCodec(layout, KvEncoding.FP16), 1 << 20, 2);
        for (String conv : List.of("a", "b", "c")) {
            KvSequence s = cache.take(conv).kv();
            assertThat(s.reserve(2, cache.blocks())).isTrue();
            s.commit(0, new int[]{conv.charAt(0), 1});
            cache.retain(conv, s);
        }
        assertThat(pool.used()).isEqualTo(3);
        cache.retain("a", cache.take("a").kv()); // touch a: b is now least recently used
        KvSequence d = new KvSequence(layout);
        assertThat(d.reserve(4, cache.blocks())).isTrue(); // needs 2 blocks: evicts b, then c
        assertThat(pool.used()).isEqualTo(3);
        assertThat(cache.isIdleInEngine("a")).isTrue();
        assertThat(cache.isIdleInEngine("b")).isFalse();
        assertThat(cache.isIdleInEngine("c")).isFalse();
        assertThat(cache.host().contains("b")).isTrue();
        assertThat(cache.host().contains("c")).isTrue();
        // Nothing idle is left to evict but "a": the next allocation takes it, then the pool says no.
        assertThat(cache.blocks().allocate()).isNotNull();
        assertThat(cache.blocks().allocate()).isNull();
        assertThat(pool.used()).isEqualTo(3);
    }

    @Test
    void hostTierHitDecodesTheSameTokensAndValues() {
        KvBlockPool pool = new KvBlockPool(layout, 2 * layout.bytesPerBlock());
        ConversationKvCache cache = new ConversationKvCache(pool, new KvChunkCodec(layout, KvEncoding.FP16), 1 << 20, 2);
        KvSequence s = cache.take("x").kv();
        s.reserve(3, cache.blocks());
        s.block(0).k()[0] = 0.5f;
        s.block(2).v()[0] = -1.25f;
        s.commit(0, new int[]{7, 8, 9});
        cache.retain("x", s);
        assertThat(cache.evictOne()).isTrue();
        assertThat(pool.used()).isZero();
        ConversationKvCache.Lookup hit = cache.take("x");
        assertThat(hit.source()).isEqualTo(KvSource.HOST);
        assertThat(hit.kv().tokens()).containsExactly(7, 8, 9);
        assertThat(hit.kv().block(0).k()[0]).isEqualTo(0.5f);
        assertThat(hit.kv().block(2).v()[0]).isEqualTo(-1.25f);
    }

    @Test
    void hostTierDropsLeastRecentlyUsedOverItsBudget() {
        HostKvTier host = new HostKvTier(100);
        KvChunk chunk = new KvChunk(KvChunk.FORMAT_VERSION, 0L, 1, 1, KvEncoding.FP16, 0, new int[]{1, 2, 3, 4, 5}, new byte[20]); // 40 bytes
        host.put("a", List.of(chunk), KvSource.HOST);
        host.put("b", List.of(chunk), KvSource.HOST);
        host.get("a");
        host.put("c", List.of(chunk), KvSource.HOST);
        assertThat(host.contains("b")).isFalse();
        assertThat(host.contains("a")).isTrue();
        assertThat(host.bytes()).isLessThanOrEqualTo(100);
    }

    @Test
    void int8ChunksRoundTripWithinOnePercentAndRejectAnotherModelsShape() {
        KvChunkCodec codec = new KvChunkCodec(new KvLayout(2, 4, 2), KvEncoding.INT8);
        KvSequence s = new KvSequence(new KvLayout(2, 4, 2));
        KvBlockSource src = KvBlockSource.unbounded(s.layout());
        s.reserve(3, src);
        for (KvBlock b : s.blocks()) for (int i = 0; i < b.k().length; i++) { b.k()[i] = (float) Math.sin(i); b.v()[i] = i * 0.1f; }
        s.commit(0, new int[]{1, 2, 3});
        List<KvChunk> chunks = codec.encode(s, 2);
        assertThat(chunks).hasSize(2);
        KvSequence back = new KvSequence(s.layout());
        assertThat(codec.decodeInto(chunks, back, src)).isTrue();
        assertThat(back.tokens()).containsExactly(1, 2, 3);
        for (int i = 0; i < 8; i++) assertThat(back.block(0).k()[i]).isCloseTo(s.block(0).k()[i], org.assertj.core.data.Offset.offset(0.01f));
        KvChunkCodec other = new KvChunkCodec(new KvLayout(3, 4, 2), KvEncoding.INT8);
        assertThatThrownBy(() -> other.check(chunks.get(0))).hasMessageContaining("does not fit this model");
    }
}
