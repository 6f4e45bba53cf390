package io.r1stream.engine.model;

import io.r1stream.engine.kv.KvBlockSource;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.gen.ModelSize;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * Tiled attention with online softmax against the plain two-pass softmax in double precision, across
 * query blocks, key tiles (64) and KV blocks (16 tokens): prefill chunks starting at 0 and mid-sequence,
 * and single decoding tokens far into the cache, at head dims 16, 64 and 128, and rows (query, head) grouped in
 * fours across queries.
 */
class TiledAttentionTest {

    @ParameterizedTest
    @CsvSource({"TINY,0,16", "TINY,0,5", "TINY,48,16", "TINY,60,9", "TINY,130,1", "TINY,200,16", "TINY,63,2", "TINY,64,1",
            // head dims 64 and 128: the 4-vector score and weighted-V paths (16-lane vectors), with partial tiles
            "QWEN2_0_5B,0,16", "QWEN2_0_5B,100,16", "QWEN2_0_5B,130,1", "R1_DISTILL_QWEN_1_5B,70,7", "R1_DISTILL_QWEN_1_5B,200,1",
            // rows in fours, twos and one (5 queries x 7 heads); a four of rows whose first three see none of the last
            // tile (query 0 at 63) and whose last does (query 1 at 64)
            "QWEN2_0_5B,0,5", "QWEN2_0_5B,63,5"})
    void matchesTheTwoPassSoftmax(ModelSize size, int pos0, int n) {
        ModelConfig c = size.config(Architecture.QWEN2, "bfloat16");
        int hd = c.headDim(), kvDim = c.kvDim(), qDim = c.qDim(), layer = 1;
        KvLayout layout = new KvLayout(c.numLayers(), kvDim, 16);
        KvSequence seq = new KvSequence(layout);
        seq.reserve(pos0 + n, KvBlockSource.unbounded(layout));
        SplittableRandom r = new SplittableRandom(pos0 * 7L + n);
        for (int p = 0; p < pos0 + n; p++) {
            int off = layout.offset(layer, p % 16);
            for (int d = 0; d < kvDim; d++) {
                seq.block(p).k()[off + d] = (float) (r.nextGaussian() * 2);
                seq.block(p).v()[off + d] = (float) r.nextGaussian();
            }
        }
        int qStride = qDim + 2 * kvDim;
        float[] q = new float[n * qStride];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[] out = new float[n * qDim];
        TiledAttention a = new TiledAttention(c, layout);
        for (int kvHead = 0; kvHead < c.numKvHeads(); kvHead++) a.attend(layer, seq, pos0, n, q, 0, qStride, kvHead, out, 0, qDim);
        for (int i = 0; i < n; i++) {
            int pos = pos0 + i;
            for (int head = 0; head < c.numHeads(); head++) {
                int kvHead = head / c.kvGroup();
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int p = 0; p <= pos; p++) {
                    int off = layout.offset(layer, p % 16) + kvHead * hd;
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += (double) q[i * qStride + head * hd + d] * seq.block(p).k()[off + d];
                    s[p] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[p]);
                }
                double sum = 0;
                for (int p = 0; p <= pos; p++) sum += s[p] = Math.exp(s[p] - max);
                for (int d = 0; d < hd; d++) {
                    double ref = 0;
                    for (int p = 0; p <= pos; p++) ref += s[p] / sum * seq.block(p).v()[layout.offset(layer, p % 16) + kvHead * hd + d];
                    assertThat((double) out[i * qDim + head * hd + d]).as("query %d head %d dim %d", i, head, d).isCloseTo(ref, offset(2e-5));
                }
            }
        }
    }
}
