package io.r1stream.engine.model.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.model.Rope;
import io.r1stream.engine.model.TensorDtype;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The Qwen2 / Llama decoder forward pass on DJL's PyTorch engine, the same computation as the pure-Java
 * {@link io.r1stream.engine.model.Transformer}: embed -> per layer: RMSNorm, q/k/v (+bias), RoPE (rotate half,
 * rope_theta, llama3 scaling), causal GQA attention over the cached K/V, o_proj, residual, RMSNorm, SiLU-gated
 * MLP, residual -> final norm -> lm_head (or the tied embedding).
 *
 * <p>Weights live on the chosen device: float32 on the CPU, FLOAT16 on a GPU. BF16 checkpoints are widened to
 * float32 in Java first; no BF16 NDArray is ever created (one aborts the JVM on DJL's PyTorch engine).
 * On FLOAT16, RMSNorm statistics and the attention softmax run in float32.
 *
 * <p>Sequences run through {@link DjlSession}s ({@link #newSession()}), each with its own KV cache. Not
 * thread-safe: one thread drives a transformer and its sessions.
 */
public final class DjlTransformer implements AutoCloseable {

    /** One decoder layer's weights, in the compute dtype. */
    record Layer(NDArray attnNorm,  // (hidden)
                 NDArray qkv,       // (qDim + 2 kvDim, hidden) q_proj, k_proj, v_proj stacked
                 NDArray qkvBias,   // (qDim + 2 kvDim) or null (Llama)
                 NDArray o,         // (hidden, qDim)
                 NDArray mlpNorm,   // (hidden)
                 NDArray gateUp,    // (2 intermediate, hidden) gate_proj, up_proj stacked
                 NDArray down) {}   // (hidden, intermediate)

    private final ModelConfig config;
    private final Device device;
    private final DataType dtype;
    private final NDManager manager;
    private final NDArray embedding; // (vocab, hidden)
    private final List<Layer> layers;
    private final NDArray finalNorm; // (hidden)
    private final NDArray lmHead;    // (vocab, hidden); the embedding itself when tied
    private final Rope rope;

    /** Loads on {@code device} in its natural dtype: float32 on the CPU, FLOAT16 on a GPU. */
    public DjlTransformer(ModelConfig config, Checkpoint checkpoint, Device device) {
        this(config, checkpoint, device, device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32);
    }

    /** Loads with an explicit compute dtype (FLOAT32 or FLOAT16); FLOAT16 on the CPU exercises the GPU path. */
    public DjlTransformer(ModelConfig config, Checkpoint checkpoint, Device device, DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype must be FLOAT32 or FLOAT16, got " + dtype
                    + " (BF16 NDArrays abort the JVM on DJL's PyTorch engine)");
        }
        this.config = config;
        this.device = device;
        this.dtype = dtype;
        this.rope = new Rope(config);
        this.manager = NDManager.newBaseManager(device, "PyTorch");
        boolean ok = false;
        try {
            long h = config.hiddenSize(), q = config.qDim(), kv = config.kvDim(), inter = config.intermediateSize();
            long vocab = config.vocabSize();
            this.embedding = matrix(checkpoint, List.of("model.embed_tokens.weight"), List.of(vocab), h);
            List<Layer> ls = new ArrayList<>(config.numLayers());
            for (int i = 0; i < config.numLayers(); i++) {
                String p = "model.layers." + i + ".";
                NDArray bias = null;
                if (config.architecture().qkvBias()) {
                    bias = vector(concat(checkpoint.readFloats(p + "self_attn.q_proj.bias", q),
                            checkpoint.readFloats(p + "self_attn.k_proj.bias", kv),
                            checkpoint.readFloats(p + "self_attn.v_proj.bias", kv)));
                }
                ls.add(new Layer(
                        vector(checkpoint.readFloats(p + "input_layernorm.weight", h)),
                        matrix(checkpoint, List.of(p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
                                p + "self_attn.v_proj.weight"), List.of(q, kv, kv), h),
                        bias,
                        matrix(checkpoint, List.of(p + "self_attn.o_proj.weight"), List.of(h), q),
                        vector(checkpoint.readFloats(p + "post_attention_layernorm.weight", h)),
                        matrix(checkpoint, List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
                                List.of(inter, inter), h),
                        matrix(checkpoint, List.of(p + "mlp.down_proj.weight"), List.of(h), inter)));
            }
            this.layers = List.copyOf(ls);
            this.finalNorm = vector(checkpoint.readFloats("model.norm.weight", h));
            this.lmHead = config.tieWordEmbeddings() ? embedding
                    : matrix(checkpoint, List.of("lm_head.weight"), List.of(vocab), h);
            ok = true;
        } finally {
            if (!ok) manager.close();
        }
    }

    /** Opens {@code modelDir} (config.json + safetensors) and loads it on {@code device}. */
    public static DjlTransformer load(java.nio.file.Path modelDir, Device device) {
        return new DjlTransformer(ModelConfig.read(modelDir), Checkpoint.open(modelDir), device);
    }

    /** A new, empty sequence with its own KV cache; close it to free its device memory. */
    public DjlSession newSession() {
        if (!manager.isOpen()) throw new IllegalStateException("DjlTransformer is closed");
        return new DjlSession(this, manager.newSubManager());
    }

    public ModelConfig config() { return config; }
    public Device device() { return device; }
    public DataType dtype() { return dtype; }

    /** The manager that owns the weights (sessions are its sub-managers); for leak checks. */
    NDManager manager() { return manager; }
    NDArray embedding() { return embedding; }
    List<Layer> layers() { return layers; }
    NDArray finalNorm() { return finalNorm; }
    NDArray lmHead() { return lmHead; }
    Rope rope() { return rope; }

    @Override
    public void close() {
        manager.close();
    }

    // ---- loading

    /** Reads named matrices (each (rows_i, cols)) and stacks their rows into one device array. */
    private NDArray matrix(Checkpoint ckpt, List<String> names, List<Long> rows, long cols) {
        long total = 0;
        for (long r : rows) total += r;
        float[] all = new float[Math.toIntExact(Math.multiplyExact(total, cols))];
        int off = 0;
        for (int i = 0; i < names.size(); i++) {
            float[] part = ckpt.readFloats(names.get(i), rows.get(i), cols);
            System.arraycopy(part, 0, all, off, part.length);
            off += part.length;
        }
        return upload(all, new Shape(total, cols));
    }

    private NDArray vector(float[] v) {
        return upload(v, new Shape(v.length));
    }

    /** Creates the array directly in the compute dtype (FLOAT16 halves are made in Java, never BF16). */
    private NDArray upload(float[] data, Shape shape) {
        if (dtype == DataType.FLOAT32) return manager.create(data, shape);
        ByteBuffer b = ByteBuffer.allocateDirect(Math.multiplyExact(data.length, 2)).order(ByteOrder.nativeOrder());
        for (float f : data) b.putShort(TensorDtype.floatToHalf(f));
        b.rewind();
        return manager.create(b, shape, DataType.FLOAT16);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int off = 0;
        for (float[] p : parts) { System.arraycopy(p, 0, out, off, p.length); off += p.length; }
        return out;
    }
}
