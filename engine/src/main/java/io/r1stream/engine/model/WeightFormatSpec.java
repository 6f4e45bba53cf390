package io.r1stream.engine.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --weight-format} value: a format and its options, {@code FORMAT[:OPTION]...}.
 *
 * <ul>
 *   <li>{@code auto}: dense matrices lossless (bf16 for BF16 checkpoints, else f32); GPTQ/AWQ matrices keep
 *       their own codes; FP8 matrices are dequantized to bf16.</li>
 *   <li>{@code f32}, {@code bf16}: every matrix dense (GPTQ/AWQ/FP8 dequantized).</li>
 *   <li>{@code int8}, {@code q4}: dense matrices quantized at load (round to nearest, float16-rounded scales,
 *       so the result equals what {@code model quantize} writes); GPTQ/AWQ matrices keep their own codes.</li>
 * </ul>
 * Options: {@code gN} inputs per scale (int8 default {@value #DEFAULT_INT8_GROUP}, q4 default
 * {@value #DEFAULT_Q4_GROUP}), {@code row} one scale per output row (int8), {@code zp} asymmetric codes with a
 * zero point per group, {@code keep=PAT,PAT...} tensors whose name contains one of the patterns stay at the
 * checkpoint's lossless precision (e.g. {@code q4:keep=lm_head,down_proj,layers.0.}). For tied embeddings
 * {@code lm_head} also names {@code model.embed_tokens}.
 *
 * @param format    null = auto
 * @param group     inputs per scale; 0 = one group per row
 * @param zeroPoint asymmetric codes with zero points
 * @param keep      substrings of tensor names held at the checkpoint's precision
 */
public record WeightFormatSpec(WeightFormat format, int group, boolean zeroPoint, List<String> keep) {
    public static final int DEFAULT_INT8_GROUP = 0;
    public static final int DEFAULT_Q4_GROUP = 32;

    public static WeightFormatSpec auto() { return new WeightFormatSpec(null, 0, false, List.of()); }

    public static WeightFormatSpec of(WeightFormat f) {
        return new WeightFormatSpec(f, f == WeightFormat.Q4 ? DEFAULT_Q4_GROUP : f == WeightFormat.INT8 ? DEFAULT_INT8_GROUP : 0, false, List.of());
    }

    public static WeightFormatSpec parse(String s) {
        String[] parts = s.trim().split(":");
        String name = parts[0].toLowerCase();
        WeightFormatSpec spec = name.equals("auto") ? auto() : of(WeightFormat.parse(name));
        int group = spec.group;
        boolean zp = false;
        List<String> keep = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String o = parts[i].trim();
            if (o.equals("row")) group = 0;
            else if (o.equals("zp")) zp = true;
            else if (o.matches("g\\d+")) group = Integer.parseInt(o.substring(1));
            else if (o.startsWith("keep=")) {
                for (String p : o.substring(5).split(",")) if (!p.isBlank()) keep.add(p.trim());
            } else {
                throw new IllegalArgumentException("weight format option '" + o + "' in '" + s
                        + "' is not one of gN (inputs per scale), row, zp, keep=PATTERN,...");
            }
        }
        if ((group != 0 || zp) && (spec.format == null || !spec.format.quantized())) {
            throw new IllegalArgumentException("weight format '" + s + "': gN/row/zp apply to int8 and q4 only");
        }
        if (group < 0) throw new IllegalArgumentException("weight format '" + s + "': group must be positive");
        if (spec.format == WeightFormat.Q4 && group == 0) {
            throw new IllegalArgumentException("weight format '" + s + "': q4 needs groups (gN, e.g. g32 or g128); 'row' is for int8");
        }
        return new WeightFormatSpec(spec.format, group, zp, List.copyOf(keep));
    }

    /** The format a dense matrix is held in, given the checkpoint's dominant float dtype. */
    public WeightFormat resolve(TensorDtype checkpointDtype) {
        return format != null ? format : WeightFormat.defaultFor(checkpointDtype);
    }

    /** True when one of the names matches a keep pattern. */
    public boolean keeps(List<String> names) {
        for (String n : names) for (String p : keep) if (n.contains(p)) return true;
        return false;
    }

    /** Inputs per scale for a matrix of {@code in} inputs. */
    public int groupFor(int in) { return group == 0 || group > in ? in : group; }

    @Override
    public String toString() {
        if (format == null) return "auto";
        StringBuilder b = new StringBuilder(format.name().toLowerCase());
        if (format.quantized()) b.append(group == 0 ? ":row" : ":g" + group);
        if (zeroPoint) b.append(":zp");
        if (!keep.isEmpty()) b.append(":keep=").append(String.join(",", keep));
        return b.toString();
    }
}
