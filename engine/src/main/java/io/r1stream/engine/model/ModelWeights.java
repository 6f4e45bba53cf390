package io.r1stream.engine.model;

import io.r1stream.engine.model.load.QuantizationConfig;
import io.r1stream.engine.model.load.QuantizedTensorReader;

import java.util.ArrayList;
import java.util.List;

/**
 * All weights of a Qwen2 / Llama checkpoint, in Hugging Face tensor names, checked against config.json.
 *
 * @param embedding (vocab, hidden) token embedding rows; also the lm_head when embeddings are tied
 * @param finalNorm (hidden) model.norm
 * @param lmHead    (vocab, hidden)
 */
public record ModelWeights(ModelConfig config, WeightFormat format, Linear embedding, List<LayerWeights> layers,
                           float[] finalNorm, Linear lmHead) {

    /** Loads every tensor the architecture needs; a missing or misshapen tensor fails with its name. */
    public static ModelWeights load(ModelConfig c, Checkpoint ckpt, WeightFormat format, MatmulThreads threads) {
        return load(c, ckpt, WeightFormatSpec.of(format), null, threads);
    }

    /**
     * Loads every tensor in the spec's format: dense matrices quantized or converted as it says, GPTQ/AWQ
     * matrices (quantization != null) kept as their codes unless the format is f32/bf16, FP8 dequantized.
     */
    public static ModelWeights load(ModelConfig c, Checkpoint ckpt, WeightFormatSpec spec, QuantizationConfig quantization, MatmulThreads threads) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize(), vocab = c.vocabSize();
        TensorDtype dense = ckpt.dominantDtype();
        WeightFormat format = spec.format() != null ? spec.format()
                : quantization != null && quantization.method().equals("fp8") ? WeightFormat.BF16 : WeightFormat.defaultFor(dense);
        Loader l = new Loader(ckpt, new QuantizedTensorReader(ckpt, quantization), format, spec, WeightFormat.defaultFor(dense),
                c.tieWordEmbeddings(), threads);
        Linear embed = l.matrix(List.of("model.embed_tokens.weight"), List.of(vocab), h);
        List<LayerWeights> layers = new ArrayList<>(c.numLayers());
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            float[] bias = null;
            if (c.architecture().qkvBias()) {
                float[] qb = ckpt.readFloats(p + "self_attn.q_proj.bias", q);
                float[] kb = ckpt.readFloats(p + "self_attn.k_proj.bias", kv);
                float[] vb = ckpt.readFloats(p + "self_attn.v_proj.bias", kv);
                bias = concat(qb, kb, vb);
            }
            layers.add(new LayerWeights(
                    ckpt.readFloats(p + "input_layernorm.weight", h),
                    l.matrix(List.of(p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"),
                            List.of(q, kv, kv), h),
                    bias,
                    l.matrix(List.of(p + "self_attn.o_proj.weight"), List.of(h), q),
                    ckpt.readFloats(p + "post_attention_layernorm.weight", h),
                    l.matrix(List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"), List.of(inter, inter), h),
                    l.matrix(List.of(p + "mlp.down_proj.weight"), List.of(h), inter)));
        }
        float[] norm = ckpt.readFloats("model.norm.weight", h);
        // Tied checkpoints (Qwen2-0.5B) reuse the embedding rows as the output projection.
        Linear head = c.tieWordEmbeddings() ? embed : l.matrix(List.of("lm_head.weight"), List.of(vocab), h);
        // auto on a GPTQ/AWQ or `model quantize` checkpoint holds the codes' format, not the dense default
        WeightFormat held = spec.format() == null && !layers.isEmpty() ? heldFormat(layers.get(0).gateUp()) : format;
        return new ModelWeights(c, held, embed, layers, norm, head);
    }

    /** The format a matrix is held in (the benches' label). */
    static WeightFormat heldFormat(Linear l) {
        if (l instanceof Int8Linear) return WeightFormat.INT8;
        if (l instanceof Q4Linear) return WeightFormat.Q4;
        if (l instanceof Bf16Linear) return WeightFormat.BF16;
        if (l instanceof RowStackedLinear r) return heldFormat(r.part(0));
        return WeightFormat.F32;
    }

    /** Bytes of weights one decoded token reads (all matrices but the embedding table, which is one row). */
    public long bytesReadPerToken() {
        long n = lmHead.weightBytes();
        for (LayerWeights w : layers) n += w.qkv().weightBytes() + w.o().weightBytes() + w.gateUp().weightBytes() + w.down().weightBytes();
        return n;
    }

    /** Copies embedding row {@code token} (hidden floats) into dst at dstOff. */
    public void embed(int token, float[] dst, int dstOff) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        ((EmbeddingRows) embedding).row(token, dst, dstOff);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int off = 0;
        for (float[] p : parts) { System.arraycopy(p, 0, out, off, p.length); off += p.length; }
        return out;
    }

    /**
     * Reads named matrices (each (rows_i, cols)) and stacks their rows into one Linear: in {@code format}, or
     * in {@code keptFormat} (the checkpoint's lossless one) when the spec's keep patterns name one of them.
     */
    private record Loader(Checkpoint ckpt, QuantizedTensorReader reader, WeightFormat format, WeightFormatSpec spec,
                          WeightFormat keptFormat, boolean tied, MatmulThreads threads) {
        Linear matrix(List<String> names, List<Long> rows, long cols) {
            List<String> matchNames = new ArrayList<>(names);
            if (tied && names.contains("model.embed_tokens.weight")) matchNames.add("lm_head.weight");
            WeightFormat f = spec.keeps(matchNames) ? keptFormat : format;
            boolean anyPacked = names.stream().anyMatch(reader::isPacked);
            if (f.quantized() || (anyPacked && spec.format() == null && !spec.keeps(matchNames))) {
                return quantized(names, rows, (int) cols, f);
            }
            boolean plain = !anyPacked && names.stream().allMatch(n -> ckpt.tensors().get(n) == null || ckpt.tensors().get(n).dtype().isFloat());
            return plain ? dense(names, rows, cols, f) : dequantized(names, rows, (int) cols, f);
        }

        /** Quantized parts keep their codes; dense parts are quantized per the spec; stacked when they can share a call. */
        private Linear quantized(List<String> names, List<Long> rows, int in, WeightFormat f) {
            if (!f.quantized() && !names.stream().allMatch(reader::isPacked)) {
                return dequantized(names, rows, in, keptFormat); // auto: a dense part fused with packed ones stays dense
            }
            List<QuantizedMatrix> parts = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                int out = Math.toIntExact(rows.get(i));
                if (reader.isPacked(n)) parts.add(reader.packed(n, out, in));
                else parts.add(WeightQuantizer.quantize(reader.dense(n, out, in), out, in, f == WeightFormat.INT8 ? 8 : 4,
                        spec.groupFor(in), spec.zeroPoint()));
            }
            boolean stack = true;
            for (QuantizedMatrix p : parts) stack &= p.stacksWith(parts.get(0));
            if (stack) return WeightQuantizer.linear(QuantizedMatrix.stackRows(parts), threads);
            List<Linear> linears = new ArrayList<>();
            for (QuantizedMatrix p : parts) linears.add(WeightQuantizer.linear(p, threads));
            return new RowStackedLinear(linears);
        }

        /** GPTQ/AWQ/FP8 matrices as float32, then held dense. */
        private Linear dequantized(List<String> names, List<Long> rows, int in, WeightFormat f) {
            int totalRows = 0;
            for (long r : rows) totalRows += (int) r;
            float[] all = new float[Math.multiplyExact(totalRows, in)];
            int off = 0;
            for (int i = 0; i < names.size(); i++) {
                float[] part = reader.dense(names.get(i), Math.toIntExact(rows.get(i)), in);
                System.arraycopy(part, 0, all, off, part.length);
                off += part.length;
            }
            return WeightQuantizer.linear(all, totalRows, in, f.quantized() ? WeightFormat.F32 : f, spec, threads);
        }

        private Linear dense(List<String> names, List<Long> rows, long cols, WeightFormat format) {
            int totalRows = 0;
            for (long r : rows) totalRows += (int) r;
            int in = (int) cols;
            if (format == WeightFormat.BF16) {
                short[] all = new short[Math.multiplyExact(totalRows, in)];
                int off = 0;
                for (int i = 0; i < names.size(); i++) {
                    short[] part = ckpt.readBf16(names.get(i), rows.get(i), cols);
                    System.arraycopy(part, 0, all, off, part.length);
                    off += part.length;
                }
                return new Bf16Linear(all, totalRows, in, threads);
            }
            float[] all = new float[Math.multiplyExact(totalRows, in)];
            int off = 0;
            for (int i = 0; i < names.size(); i++) {
                float[] part = ckpt.readFloats(names.get(i), rows.get(i), cols);
                System.arraycopy(part, 0, all, off, part.length);
                off += part.length;
            }
            return new F32Linear(all, totalRows, in, threads);
        }
    }
}
