package io.r1stream.engine.model.load;

import io.r1stream.engine.model.Checkpoint;
import io.r1stream.engine.model.ModelFormatException;
import io.r1stream.engine.model.QuantizedMatrix;
import io.r1stream.engine.model.TensorDtype;
import io.r1stream.engine.model.TensorInfo;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reads one (out, in) weight matrix of a Hugging Face checkpoint stored as {@code PREFIX.weight} (dense, or
 * FP8 with {@code PREFIX.weight_scale_inv}) or as GPTQ/AWQ {@code PREFIX.qweight/qzeros/scales(/g_idx)}.
 *
 * <p>Storage, as AutoGPTQ/GPTQModel and AutoAWQ write it (pack = 32 / bits codes per int32, code k of a word at
 * bits k*bits):
 * <ul>
 *   <li>GPTQ: qweight I32 (in / pack, out), packed along the inputs; qzeros I32 (groups, out / pack), packed
 *       along the outputs, v1 stores zero - 1; scales F16 (groups, out); g_idx I32 (in) = group of each input
 *       (act order), absent or i / group otherwise. W[o, i] = scales[g, o] * (q[i, o] - zero[g, o]), g = g_idx[i].</li>
 *   <li>AWQ gemm: qweight I32 (in, out / 8) and qzeros I32 (groups, out / 8), packed along the outputs in
 *       AWQ's order: nibble k of a word holds output column 8j + [0, 2, 4, 6, 1, 3, 5, 7][k]; zeros stored as
 *       is; scales F16 (groups, out).</li>
 *   <li>FP8: weight F8_E4M3 (out, in), weight_scale_inv F32 (ceil(out / br), ceil(in / bc)): W = fp8 * scale.</li>
 * </ul>
 */
public final class QuantizedTensorReader {
    /** AWQ packs output column AWQ_ORDER[k] into nibble k; this is the inverse: the nibble of column j % 8. */
    private static final int[] AWQ_NIBBLE = {0, 4, 1, 5, 2, 6, 3, 7};

    private final Checkpoint ckpt;
    private final QuantizationConfig q; // null = dense checkpoint

    public QuantizedTensorReader(Checkpoint ckpt, QuantizationConfig q) {
        this.ckpt = ckpt;
        this.q = q;
    }

    /** True when {@code weightName} (ending in .weight) is stored as GPTQ/AWQ codes. */
    public boolean isPacked(String weightName) {
        return q != null && !ckpt.has(weightName) && ckpt.has(prefix(weightName) + ".qweight");
    }

    /** The matrix as float32 (out, in), dequantizing GPTQ/AWQ/FP8. */
    public float[] dense(String weightName, int out, int in) {
        if (isPacked(weightName)) return packed(weightName, out, in).dequantize();
        String scaleName = prefix(weightName) + ".weight_scale_inv";
        TensorInfo t = ckpt.tensors().get(weightName);
        if (t != null && t.dtype() == TensorDtype.F8_E4M3) {
            if (q == null || !q.method().equals("fp8")) {
                throw new ModelFormatException("tensor '" + weightName + "' is F8_E4M3 but config.json has no quantization_config with quant_method fp8");
            }
            if (!ckpt.has(scaleName)) {
                throw new ModelFormatException("tensor '" + weightName + "' is F8_E4M3 but '" + scaleName + "' (float32 ["
                        + Fp8Block.blocks(out, q.blockRows()) + ", " + Fp8Block.blocks(in, q.blockCols()) + "]) is missing");
            }
            float[] scale = ckpt.readFloats(scaleName, Fp8Block.blocks(out, q.blockRows()), Fp8Block.blocks(in, q.blockCols()));
            ByteBuffer bytes = ByteBuffer.wrap(ckpt.readBytes(weightName, TensorDtype.F8_E4M3, out, in));
            return Fp8Block.dequantize(bytes, out, in, scale, q.blockRows(), q.blockCols());
        }
        return ckpt.readFloats(weightName, out, in);
    }

    /** The GPTQ/AWQ codes of {@code weightName}'s matrix (out, in), in r1stream's form. */
    public QuantizedMatrix packed(String weightName, int out, int in) {
        String p = prefix(weightName);
        return switch (q.method()) {
            case "gptq" -> gptq(p, out, in);
            case "awq" -> awq(p, out, in);
            default -> throw new ModelFormatException("tensor '" + p + ".qweight' found but quant_method is " + q.method()
                    + "; packed qweight tensors belong to gptq or awq checkpoints");
        };
    }

    private QuantizedMatrix gptq(String p, int out, int in) {
        int bits = q.bits(), pack = 32 / bits, mask = (1 << bits) - 1;
        int group = q.groupFor(in), groups = (in + group - 1) / group;
        require(in % pack == 0 && out % pack == 0, p, "in " + in + " and out " + out + " divisible by " + pack + " (" + bits + "-bit packing)");
        int[] qw = ckpt.readInts(p + ".qweight", in / pack, out);
        int[] qz = ckpt.readInts(p + ".qzeros", groups, out / pack);
        float[] sc = ckpt.readFloats(p + ".scales", groups, out);
        int[] gIdx = ckpt.has(p + ".g_idx") ? ckpt.readInts(p + ".g_idx", in) : null;
        int[] order = null;
        if (gIdx != null) {
            boolean trivial = true;
            for (int i = 0; i < in; i++) {
                if (gIdx[i] < 0 || gIdx[i] >= groups) {
                    throw new ModelFormatException("tensor '" + p + ".g_idx' has group " + gIdx[i] + " at input " + i + "; expected [0, " + groups + ")");
                }
                trivial &= gIdx[i] == i / group;
            }
            if (!trivial) order = groupOrder(gIdx, groups, group, in, p);
        }
        byte[] codes = new byte[out * in];
        float[] scales = new float[out * groups], zeros = new float[out * groups];
        int zeroOffset = q.gptqV1() ? 1 : 0;
        for (int g = 0; g < groups; g++) {
            for (int o = 0; o < out; o++) {
                scales[o * groups + g] = sc[g * out + o];
                zeros[o * groups + g] = ((qz[g * (out / pack) + o / pack] >>> (bits * (o % pack))) & mask) + zeroOffset;
            }
        }
        for (int c = 0; c < in; c++) {
            int i = order == null ? c : order[c];
            int word = (i / pack) * out, shift = bits * (i % pack);
            for (int o = 0; o < out; o++) codes[o * in + c] = (byte) ((qw[word + o] >>> shift) & mask);
        }
        return new QuantizedMatrix(bits, out, in, group, codes, scales, zeros, order);
    }

    /** Inputs sorted by group (stable); each group must hold exactly {@code group} inputs (the last: the rest). */
    private static int[] groupOrder(int[] gIdx, int groups, int group, int in, String p) {
        int[] count = new int[groups];
        for (int g : gIdx) count[g]++;
        for (int g = 0; g < groups; g++) {
            int expected = Math.min(group, in - g * group);
            if (count[g] != expected) {
                throw new ModelFormatException("tensor '" + p + ".g_idx' puts " + count[g] + " inputs in group " + g
                        + "; r1stream loads act-order checkpoints whose groups hold group_size (" + group + ") inputs each");
            }
        }
        int[] next = new int[groups];
        for (int g = 0; g < groups; g++) next[g] = g * group;
        int[] order = new int[in];
        for (int i = 0; i < in; i++) order[next[gIdx[i]]++] = i;
        return order;
    }

    private QuantizedMatrix awq(String p, int out, int in) {
        int group = q.groupFor(in), groups = (in + group - 1) / group;
        require(out % 8 == 0, p, "out " + out + " divisible by 8 (AWQ packs 8 outputs per int32)");
        int[] qw = ckpt.readInts(p + ".qweight", in, out / 8);
        int[] qz = ckpt.readInts(p + ".qzeros", groups, out / 8);
        float[] sc = ckpt.readFloats(p + ".scales", groups, out);
        byte[] codes = new byte[out * in];
        float[] scales = new float[out * groups], zeros = new float[out * groups];
        for (int g = 0; g < groups; g++) {
            for (int o = 0; o < out; o++) {
                scales[o * groups + g] = sc[g * out + o];
                zeros[o * groups + g] = (qz[g * (out / 8) + o / 8] >>> (4 * AWQ_NIBBLE[o % 8])) & 15;
            }
        }
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) codes[o * in + i] = (byte) ((qw[i * (out / 8) + o / 8] >>> (4 * AWQ_NIBBLE[o % 8])) & 15);
        }
        return new QuantizedMatrix(4, out, in, group, codes, scales, zeros, null);
    }

    private static void require(boolean ok, String p, String what) {
        if (!ok) throw new ModelFormatException("tensor '" + p + ".qweight': expected " + what);
    }

    static String prefix(String weightName) {
        if (!weightName.endsWith(".weight")) throw new IllegalArgumentException(weightName + " does not end in .weight");
        return weightName.substring(0, weightName.length() - ".weight".length());
    }

    @Override
    public String toString() { return "QuantizedTensorReader" + Arrays.asList(ckpt.dir(), q); }
}
