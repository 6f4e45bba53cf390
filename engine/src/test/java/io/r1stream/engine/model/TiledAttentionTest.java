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
 * and single decoding tokens far into the cache.
 */
class TiledAttentionTest {

    @ParameterizedTest
    @CsvSource({"0,16", "0,5", "48,16", "60,9", "130,1", "200,16", "63,2", "64,1"})
    void matchesTheTwoPassSoftmax(int pos0, int n) {
        ModelConfig c = ModelSize.TINY.config(Architecture.QWEN2, "bfloat16");
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
