package io.r1stream.engine.model;

import java.util.Arrays;
import java.util.List;

/**
 * A group-quantized weight matrix W (out, in), in the form GPTQ, AWQ and r1stream's own quantizer share:
 *
 * <pre>
 *   W[o, order[c]] = scales[o, c / group] * (codes[o, c] - zeros[o, c / group])
 * </pre>
 *
 * where {@code c} is a stored column. Without {@code inputOrder} stored column c is input c; GPTQ's
 * act-order checkpoints ({@code desc_act} with {@code g_idx}) put inputs of one group next to each other, so
 * the Linear gathers its input in that order once per call and the groups stay contiguous for the kernel.
 *
 * @param bits       4 or 8
 * @param group      inputs per scale (a multiple of nothing in particular; the last group may be shorter)
 * @param codes      (out, in) unsigned codes in [0, 2^bits), one byte each, stored column order
 * @param scales     (out, groups) float32
 * @param zeros      (out, groups) float32 zero points (integers for GPTQ/AWQ), or null = symmetric: 2^(bits-1)
 * @param inputOrder (in) input index of each stored column, or null = identity
 */
public record QuantizedMatrix(int bits, int out, int in, int group, byte[] codes, float[] scales, float[] zeros, int[] inputOrder) {

    public QuantizedMatrix {
        if (bits != 4 && bits != 8) throw new IllegalArgumentException("bits must be 4 or 8, got " + bits);
        if (group < 1 || group > in) throw new IllegalArgumentException("group " + group + " must be in [1, " + in + "]");
        int g = (in + group - 1) / group;
        if (codes.length != (long) out * in) throw new IllegalArgumentException("codes " + codes.length + " != " + out + "x" + in);
        if (scales.length != (long) out * g) throw new IllegalArgumentException("scales " + scales.length + " != " + out + "x" + g);
        if (zeros != null && zeros.length != scales.length) throw new IllegalArgumentException("zeros " + zeros.length + " != scales " + scales.length);
        if (inputOrder != null && inputOrder.length != in) throw new IllegalArgumentException("inputOrder " + inputOrder.length + " != " + in);
    }

    public int groups() { return (in + group - 1) / group; }

    /** The zero point of symmetric codes: 8 for 4 bits, 128 for 8. */
    public float midpoint() { return 1 << (bits - 1); }

    public float zero(int o, int g) { return zeros == null ? midpoint() : zeros[o * groups() + g]; }

    /** The dense matrix (out, in) in input order, float32: what a dequantize-then-forward reference uses. */
    public float[] dequantize() {
        float[] w = new float[out * in];
        int gs = groups();
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                int g = c / group;
                float v = scales[o * gs + g] * ((codes[o * in + c] & 0xff) - zero(o, g));
                w[o * in + (inputOrder == null ? c : inputOrder[c])] = v;
            }
        }
        return w;
    }

    /** True when the two can share one kernel call with their rows stacked (same bits, groups, input order). */
    public boolean stacksWith(QuantizedMatrix other) {
        return bits == other.bits && in == other.in && group == other.group && (zeros == null) == (other.zeros == null)
                && Arrays.equals(inputOrder, other.inputOrder);
    }

    /** Rows of all parts, in order (fused q/k/v or gate/up). Parts must {@link #stacksWith} each other. */
    public static QuantizedMatrix stackRows(List<QuantizedMatrix> parts) {
        QuantizedMatrix first = parts.get(0);
        if (parts.size() == 1) return first;
        int out = 0;
        for (QuantizedMatrix p : parts) {
            if (!p.stacksWith(first)) throw new IllegalArgumentException("quantized parts differ in bits, group or input order");
            out += p.out;
        }
        int g = first.groups();
        byte[] codes = new byte[Math.multiplyExact(out, first.in)];
        float[] scales = new float[out * g];
        float[] zeros = first.zeros == null ? null : new float[out * g];
        int row = 0;
        for (QuantizedMatrix p : parts) {
            System.arraycopy(p.codes, 0, codes, row * first.in, p.codes.length);
            System.arraycopy(p.scales, 0, scales, row * g, p.scales.length);
            if (zeros != null) System.arraycopy(p.zeros, 0, zeros, row * g, p.zeros.length);
            row += p.out;
        }
        return new QuantizedMatrix(first.bits, out, first.in, first.group, codes, scales, zeros, first.inputOrder);
    }
}
