package io.r1stream.engine.model.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.ForwardPass;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.SequenceStep;

import java.util.ArrayList;
import java.util.List;

/**
 * The batching engine's forward step on DJL's PyTorch engine (the GPU path): the dense work of all new tokens of
 * all sequences runs as one (T, hidden) matrix on the device, attention runs per sequence. K/V live in the
 * engine's host-memory blocks, as on the CPU path, so the KV pool, retention, tiers and Flink state work
 * unchanged: each step writes the new rows back to the blocks and uploads each sequence's cached K/V for its
 * attention (host-resident KV; a device-resident paged cache is the next step where PCIe traffic matters).
 *
 * <p>Not thread-safe: the engine loop drives it.
 */
public final class DjlBatchedForward implements ForwardPass {
    private final DjlTransformer model;
    private final ModelConfig c;
    private final KvLayout kvLayout;

    public DjlBatchedForward(DjlTransformer model, int kvBlockTokens) {
        this.model = model;
        this.c = model.config();
        this.kvLayout = new KvLayout(c.numLayers(), c.kvDim(), kvBlockTokens);
    }

    @Override public ModelConfig config() { return c; }
    @Override public KvLayout kvLayout() { return kvLayout; }
    @Override public String device() { return model.device() + " " + model.dtype(); }

    @Override
    public float[][] forward(List<SequenceStep> steps) {
        final int h = c.hiddenSize(), hd = c.headDim(), half = hd / 2, qDim = c.qDim(), kvDim = c.kvDim();
        final int nh = c.numHeads(), nkv = c.numKvHeads(), group = c.kvGroup(), inter = c.intermediateSize();
        final DataType dt = model.dtype();
        final float eps = (float) c.rmsNormEps();
        int total = 0;
        for (SequenceStep s : steps) total += s.tokens().length;
        final int T = total;
        long[] ids = new long[T];
        int[] start = new int[steps.size()];    // first new position of each sequence
        int[] rowStart = new int[steps.size()]; // first row of each sequence in the (T, ...) matrices
        float[] cosT = new float[T * hd], sinT = new float[T * hd];
        float[] cos = new float[half], sin = new float[half];
        for (int si = 0, r = 0; si < steps.size(); si++) {
            SequenceStep s = steps.get(si);
            start[si] = s.kv().length();
            rowStart[si] = r;
            for (int j = 0; j < s.tokens().length; j++, r++) {
                int token = s.tokens()[j];
                if (token < 0 || token >= c.vocabSize()) {
                    throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + c.vocabSize() + ")");
                }
                ids[r] = token;
                model.rope().angles(start[si] + j, cos, sin); // rotate-half layout: each half repeated
                System.arraycopy(cos, 0, cosT, r * hd, half);
                System.arraycopy(cos, 0, cosT, r * hd + half, half);
                System.arraycopy(sin, 0, sinT, r * hd, half);
                System.arraycopy(sin, 0, sinT, r * hd + half, half);
            }
        }
        float[][] result = new float[steps.size()][];
        try (NDManager step = model.manager().newSubManager()) {
            NDArray ropeCos = step.create(cosT, new Shape(T, 1, hd)).toType(dt, false); // (T, 1, headDim)
            NDArray ropeSin = step.create(sinT, new Shape(T, 1, hd)).toType(dt, false); // (T, 1, headDim)
            NDArray scale = step.create((float) (1.0 / Math.sqrt(hd))).toType(dt, false);
            NDArray x = Embedding.embedding(step.create(ids, new Shape(T)), model.embedding(), SparseFormat.DENSE)
                    .singletonOrThrow();                                                // (T, hidden)
            for (int l = 0; l < c.numLayers(); l++) {
                DjlTransformer.Layer lw = model.layers().get(l);
                NDArray xn = DjlSession.rmsNorm(x, lw.attnNorm(), eps, dt);            // (T, hidden)
                NDArray qkv = lw.qkvBias() == null
                        ? Linear.linear(xn, lw.qkv()).singletonOrThrow()
                        : Linear.linear(xn, lw.qkv(), lw.qkvBias()).singletonOrThrow();  // (T, qDim + 2 kvDim)
                NDList parts = qkv.split(new long[]{qDim, qDim + kvDim}, 1);
                NDArray q = DjlSession.rotate(parts.get(0).reshape(T, nh, hd), ropeCos, ropeSin, half).mul(scale); // (T, heads, hd)
                NDArray k = DjlSession.rotate(parts.get(1).reshape(T, nkv, hd), ropeCos, ropeSin, half);          // (T, kvHeads, hd)
                NDArray v = parts.get(2);                                              // (T, kvDim)
                // New K/V rows to the host blocks (one transfer for all rows), then each sequence attends.
                float[] kNew = k.reshape(T, kvDim).toType(DataType.FLOAT32, false).toFloatArray();
                float[] vNew = v.toType(DataType.FLOAT32, false).toFloatArray();
                List<NDArray> outs = new ArrayList<>(steps.size());
                for (int si = 0; si < steps.size(); si++) {
                    SequenceStep s = steps.get(si);
                    int n = s.tokens().length, S = start[si] + n;
                    writeKv(s.kv(), l, start[si], n, kNew, vNew, rowStart[si]);
                    NDArray kAll = step.create(readKv(s.kv(), l, S, true), new Shape(S, nkv, hd)).toType(dt, false)
                            .transpose(1, 0, 2);                                       // (kvHeads, S, hd)
                    NDArray vAll = step.create(readKv(s.kv(), l, S, false), new Shape(S, nkv, hd)).toType(dt, false)
                            .transpose(1, 0, 2);                                       // (kvHeads, S, hd)
                    NDArray qs = q.get(new NDIndex(rowStart[si] + ":" + (rowStart[si] + n)))
                            .transpose(1, 0, 2).reshape(nkv, (long) group * n, hd);   // (kvHeads, group*n, hd)
                    NDArray scores = qs.matMul(kAll.transpose(0, 2, 1)).toType(DataType.FLOAT32, false)
                            .reshape(nkv, group, n, S);                                // (kvHeads, group, n, S) f32
                    if (n > 1) scores = scores.add(causalMask(step, start[si], n, S));
                    NDArray probs = scores.softmax(3).toType(dt, false).reshape(nkv, (long) group * n, S);
                    outs.add(probs.matMul(vAll).reshape(nh, n, hd).transpose(1, 0, 2).reshape(n, qDim)); // (n, qDim)
                }
                NDArray att = outs.size() == 1 ? outs.get(0) : NDArrays.concat(new NDList(outs), 0); // (T, qDim)
                x = x.add(Linear.linear(att, lw.o()).singletonOrThrow());
                NDArray xm = DjlSession.rmsNorm(x, lw.mlpNorm(), eps, dt);
                NDList gu = Linear.linear(xm, lw.gateUp()).singletonOrThrow().split(new long[]{inter}, 1);
                NDArray act = gu.get(0).mul(Activation.sigmoid(gu.get(0))).mul(gu.get(1)); // (T, intermediate)
                x = x.add(Linear.linear(act, lw.down()).singletonOrThrow());
            }
            for (SequenceStep s : steps) s.kv().commit(s.kv().length(), s.tokens());
            List<Integer> wanted = new ArrayList<>();
            List<NDArray> lastRows = new ArrayList<>();
            for (int si = 0; si < steps.size(); si++) {
                if (!steps.get(si).wantLogits()) continue;
                int last = rowStart[si] + steps.get(si).tokens().length - 1;
                lastRows.add(x.get(new NDIndex(last + ":" + (last + 1))));
                wanted.add(si);
            }
            if (wanted.isEmpty()) return result;
            NDArray rows = lastRows.size() == 1 ? lastRows.get(0) : NDArrays.concat(new NDList(lastRows), 0);
            float[] logits = Linear.linear(DjlSession.rmsNorm(rows, model.finalNorm(), eps, dt), model.lmHead())
                    .singletonOrThrow().toType(DataType.FLOAT32, false).toFloatArray(); // (wanted, vocab)
            int vocab = c.vocabSize();
            for (int i = 0; i < wanted.size(); i++) {
                float[] one = new float[vocab];
                System.arraycopy(logits, i * vocab, one, 0, vocab);
                result[wanted.get(i)] = one;
            }
            return result;
        }
    }

    /** Rows [row, row + n) of kNew/vNew (T, kvDim) into positions [from, from + n) of layer l's blocks. */
    private void writeKv(KvSequence kv, int l, int from, int n, float[] kNew, float[] vNew, int row) {
        int kvDim = c.kvDim();
        for (int j = 0; j < n; j++) {
            int p = from + j;
            KvBlock b = kv.block(p);
            int off = kvLayout.offset(l, p % kvLayout.blockTokens());
            System.arraycopy(kNew, (row + j) * kvDim, b.k(), off, kvDim);
            System.arraycopy(vNew, (row + j) * kvDim, b.v(), off, kvDim);
        }
    }

    /** Layer l's K (or V) rows of positions [0, S) as one (S, kvDim) array. */
    private float[] readKv(KvSequence kv, int l, int S, boolean keys) {
        int kvDim = c.kvDim();
        float[] out = new float[S * kvDim];
        for (int p = 0; p < S; p++) {
            KvBlock b = kv.block(p);
            System.arraycopy(keys ? b.k() : b.v(), kvLayout.offset(l, p % kvLayout.blockTokens()), out, p * kvDim, kvDim);
        }
        return out;
    }

    /** (n, S) float32: new row t (position start + t) sees keys [0, start + t]. */
    private static NDArray causalMask(NDManager m, int start, int n, int S) {
        float[] mask = new float[n * S];
        for (int t = 0; t < n; t++) {
            for (int s = start + t + 1; s < S; s++) mask[t * S + s] = Float.NEGATIVE_INFINITY;
        }
        return m.create(mask, new Shape(n, S));
    }
}
