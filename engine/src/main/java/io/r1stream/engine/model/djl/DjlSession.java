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
import io.r1stream.engine.model.ModelConfig;

/**
 * One sequence on a {@link DjlTransformer}: its KV cache (per layer K and V arrays of shape
 * (kvHeads, capacity, headDim), grown by doubling) and the number of positions filled.
 *
 * <p>Every step's temporaries live in a sub-manager closed at the end of the step, so device memory does not
 * grow per token; only the KV cache (owned by this session's manager) does. {@link #close()} frees it all.
 */
public final class DjlSession implements AutoCloseable {
    private static final int MIN_CAPACITY = 64;

    private final DjlTransformer model;
    private final ModelConfig c;
    private final NDManager manager;  // owns the KV cache
    private final NDArray[] keys;     // per layer (kvHeads, capacity, headDim)
    private final NDArray[] values;   // per layer (kvHeads, capacity, headDim)
    private int capacity;
    private int length;

    DjlSession(DjlTransformer model, NDManager manager) {
        this.model = model;
        this.c = model.config();
        this.manager = manager;
        this.keys = new NDArray[c.numLayers()];
        this.values = new NDArray[c.numLayers()];
    }

    /** Positions whose K/V are cached. */
    public int length() { return length; }

    /** Drops positions past {@code keep} (prefix reuse: the next forward continues at {@code keep}). */
    public void truncate(int keep) {
        if (keep < 0 || keep > length) throw new IllegalArgumentException("cannot keep " + keep + " of " + length);
        length = keep;
    }

    /**
     * Appends {@code tokens} at positions {@code length() ..} (a prefill when many, a decode step when one) and
     * returns the float32 logits (vocab floats) after the last of them.
     */
    public float[] forward(int[] tokens) {
        if (!manager.isOpen()) throw new IllegalStateException("session is closed");
        if (tokens.length == 0) throw new IllegalArgumentException("forward needs at least one token");
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary [0, "
                        + c.vocabSize() + ")");
            }
            ids[i] = tokens[i];
        }
        final int T = tokens.length, start = length, S = start + T;
        final int h = c.hiddenSize(), hd = c.headDim(), half = hd / 2, qDim = c.qDim(), kvDim = c.kvDim();
        final int nh = c.numHeads(), nkv = c.numKvHeads(), group = c.kvGroup(), inter = c.intermediateSize();
        final DataType dt = model.dtype();
        final float eps = (float) c.rmsNormEps();
        ensureCapacity(S);

        try (NDManager step = manager.newSubManager()) {
            // RoPE tables for positions [start, S): (T, 1, headDim), each half repeated (rotate-half layout).
            float[] cosT = new float[T * hd], sinT = new float[T * hd];
            float[] cos = new float[half], sin = new float[half];
            for (int t = 0; t < T; t++) {
                model.rope().angles(start + t, cos, sin);
                System.arraycopy(cos, 0, cosT, t * hd, half);
                System.arraycopy(cos, 0, cosT, t * hd + half, half);
                System.arraycopy(sin, 0, sinT, t * hd, half);
                System.arraycopy(sin, 0, sinT, t * hd + half, half);
            }
            NDArray ropeCos = step.create(cosT, new Shape(T, 1, hd)).toType(dt, false); // (T, 1, headDim)
            NDArray ropeSin = step.create(sinT, new Shape(T, 1, hd)).toType(dt, false); // (T, 1, headDim)
            // Causal mask for the new rows over all S keys: row t sees keys [0, start + t]. (T, S) float32
            NDArray mask = null;
            if (T > 1) {
                float[] m = new float[T * S];
                for (int t = 0; t < T; t++) {
                    for (int s = start + t + 1; s < S; s++) m[t * S + s] = Float.NEGATIVE_INFINITY;
                }
                mask = step.create(m, new Shape(T, S));
            }
            NDArray scale = step.create((float) (1.0 / Math.sqrt(hd))).toType(dt, false);

            NDArray x = Embedding.embedding(step.create(ids, new Shape(T)), model.embedding(), SparseFormat.DENSE)
                    .singletonOrThrow(); // (T, hidden) residual stream
            for (int l = 0; l < c.numLayers(); l++) {
                DjlTransformer.Layer lw = model.layers().get(l);
                // ---- attention
                NDArray xn = rmsNorm(x, lw.attnNorm(), eps, dt);                 // (T, hidden)
                NDArray qkv = lw.qkvBias() == null
                        ? Linear.linear(xn, lw.qkv()).singletonOrThrow()
                        : Linear.linear(xn, lw.qkv(), lw.qkvBias()).singletonOrThrow(); // (T, qDim + 2 kvDim)
                NDList parts = qkv.split(new long[]{qDim, qDim + kvDim}, 1);
                NDArray q = rotate(parts.get(0).reshape(T, nh, hd), ropeCos, ropeSin, half)
                        .mul(scale).transpose(1, 0, 2);                            // (heads, T, headDim)
                NDArray k = rotate(parts.get(1).reshape(T, nkv, hd), ropeCos, ropeSin, half)
                        .transpose(1, 0, 2);                                       // (kvHeads, T, headDim)
                NDArray v = parts.get(2).reshape(T, nkv, hd).transpose(1, 0, 2);   // (kvHeads, T, headDim)
                NDIndex newRows = new NDIndex(":, " + start + ":" + S + ", :");
                keys[l].set(newRows, k);
                values[l].set(newRows, v);
                NDIndex filled = new NDIndex(":, 0:" + S + ", :");
                NDArray kAll = keys[l].get(step, filled);                          // (kvHeads, S, headDim)
                NDArray vAll = values[l].get(step, filled);                        // (kvHeads, S, headDim)
                // GQA: the `group` query heads of one KV head share its K/V; head = kvHead * group + g.
                NDArray qg = q.reshape(nkv, (long) group * T, hd);                 // (kvHeads, group*T, headDim)
                NDArray scores = qg.matMul(kAll.transpose(0, 2, 1))                // (kvHeads, group*T, S)
                        .toType(DataType.FLOAT32, false)
                        .reshape(nkv, group, T, S);                                // (kvHeads, group, T, S) f32
                if (mask != null) scores = scores.add(mask);
                NDArray probs = scores.softmax(3).toType(dt, false)
                        .reshape(nkv, (long) group * T, S);                        // (kvHeads, group*T, S)
                NDArray att = probs.matMul(vAll)                                   // (kvHeads, group*T, headDim)
                        .reshape(nh, T, hd).transpose(1, 0, 2).reshape(T, qDim);   // (T, qDim)
                x = x.add(Linear.linear(att, lw.o()).singletonOrThrow());          // (T, hidden)

                // ---- MLP: SiLU(gate) * up, down
                NDArray xm = rmsNorm(x, lw.mlpNorm(), eps, dt);                  // (T, hidden)
                NDList gu = Linear.linear(xm, lw.gateUp()).singletonOrThrow().split(new long[]{inter}, 1);
                NDArray gate = gu.get(0), up = gu.get(1);                          // (T, intermediate) each
                NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);          // (T, intermediate)
                x = x.add(Linear.linear(act, lw.down()).singletonOrThrow());       // (T, hidden)
            }
            NDArray last = x.get(step, new NDIndex((T - 1) + ":" + T + ", :"));   // (1, hidden)
            NDArray logits = Linear.linear(rmsNorm(last, model.finalNorm(), eps, dt), model.lmHead())
                    .singletonOrThrow();                                           // (1, vocab)
            float[] out = logits.toType(DataType.FLOAT32, false).toFloatArray();
            length = S;
            return out;
        }
    }

    /** x / rms(x) * weight per row, the statistics in float32. x: (rows, hidden) in dt. */
    static NDArray rmsNorm(NDArray x, NDArray weight, float eps, DataType dt) {
        NDArray xf = x.toType(DataType.FLOAT32, false);
        NDArray rms = xf.square().mean(new int[]{-1}, true).add(eps).sqrt(); // (rows, 1)
        return xf.div(rms).toType(dt, false).mul(weight);
    }

    /** Rotate-half RoPE: [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]. x: (T, heads, headDim). */
    static NDArray rotate(NDArray x, NDArray cos, NDArray sin, int half) {
        NDList halves = x.split(new long[]{half}, 2);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 2);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** Grows every layer's K/V to hold {@code positions}, keeping the filled prefix. */
    private void ensureCapacity(int positions) {
        if (positions <= capacity) return;
        int cap = Math.max(Math.max(MIN_CAPACITY, positions), capacity * 2);
        Shape shape = new Shape(c.numKvHeads(), cap, c.headDim());
        for (int l = 0; l < keys.length; l++) {
            keys[l] = grow(keys[l], shape);
            values[l] = grow(values[l], shape);
        }
        capacity = cap;
    }

    private NDArray grow(NDArray old, Shape shape) {
        NDArray fresh = manager.zeros(shape, model.dtype());
        if (old != null) {
            if (length > 0) {
                try (NDManager tmp = manager.newSubManager()) {
                    NDIndex kept = new NDIndex(":, 0:" + length + ", :");
                    fresh.set(kept, old.get(tmp, kept));
                }
            }
            old.close();
        }
        return fresh;
    }

    /** The manager owning this session's KV cache (for leak checks). */
    NDManager manager() { return manager; }

    /** Frees this session's KV cache. */
    @Override
    public void close() {
        manager.close();
    }
}
