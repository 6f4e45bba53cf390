package io.r1stream.engine.model;

import java.util.List;

/**
 * Matrices with the same input applied as one (out = sum of parts' out): fused q/k/v or gate/up whose parts
 * cannot share one kernel call (GPTQ act-order parts with different input orders, or mixed formats). Each
 * part writes its (batch, out_p) result into a reused buffer, scattered into its column range of y.
 */
public final class RowStackedLinear implements Linear, EmbeddingRows {
    private final Linear[] parts;
    private final int in, out;
    private final float[][] partOut; // per part (batch, out_p), reused

    /** Part {@code i}, in row order. */
    Linear part(int i) { return parts[i]; }

    public RowStackedLinear(List<Linear> parts) {
        this.parts = parts.toArray(new Linear[0]);
        this.in = this.parts[0].inFeatures();
        int o = 0;
        for (Linear p : this.parts) {
            if (p.inFeatures() != in) throw new IllegalArgumentException("stacked parts need the same input width: " + p.inFeatures() + " != " + in);
            o += p.outFeatures();
        }
        this.out = o;
        this.partOut = new float[this.parts.length][0];
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }

    @Override
    public long weightBytes() {
        long n = 0;
        for (Linear p : parts) n += p.weightBytes();
        return n;
    }

    @Override
    public void apply(float[] x, int batch, float[] y) {
        int col = 0;
        for (int i = 0; i < parts.length; i++) {
            Linear p = parts[i];
            int po = p.outFeatures();
            if (partOut[i].length < batch * po) partOut[i] = new float[batch * po];
            p.apply(x, batch, partOut[i]);
            for (int b = 0; b < batch; b++) System.arraycopy(partOut[i], b * po, y, b * out + col, po);
            col += po;
        }
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        for (Linear p : parts) {
            if (r < p.outFeatures()) {
                ((EmbeddingRows) p).row(r, dst, dstOff);
                return;
            }
            r -= p.outFeatures();
        }
        throw new IndexOutOfBoundsException("row " + r + " past " + out);
    }
}
