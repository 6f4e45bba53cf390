package io.r1stream.engine.model;

import java.util.Arrays;

/**
 * A 4-bit weight matrix (out, in): half a byte per weight plus a float32 scale and zero point per group of
 * inputs (8 for symmetric matrices), an eighth of float32's bytes. The codes are repacked at load into
 * {@link Q4Tiles}' column tiles; GPTQ and AWQ checkpoints decode to the same form.
 */
public final class Q4Linear extends GroupQuantLinear {
    private final int[] tiles;        // (tiles(out), in / 8, L), 8 nibbles per int
    private final float[] tileScales; // (tiles(out), groups, L)
    private final float[] tileSz;     // s * z, same layout; null for symmetric matrices

    Q4Linear(QuantizedMatrix m, MatmulThreads threads) {
        super(m, zerosOrMidpoint(m), threads);
        if (m.bits() != 4) throw new IllegalArgumentException("Q4Linear needs 4-bit codes, got " + m.bits());
        if (!supports(m.in(), m.group())) throw new IllegalArgumentException("in " + m.in() + " and group " + m.group() + " must be multiples of " + Q4_BLOCK);
        this.tiles = Q4Tiles.tile(m.codes(), out, in);
        this.tileScales = Q4Tiles.tileGroups(scales, out, groups);
        float[] sz = null;
        if (zeros != null) {
            sz = new float[zeros.length];
            for (int i = 0; i < sz.length; i++) sz[i] = scales[i] * zeros[i];
        }
        this.tileSz = Q4Tiles.tileGroups(sz, out, groups);
    }

    /** Inputs per int of the tiles (8 nibbles): in and the group size are multiples of it. */
    static final int Q4_BLOCK = 8;

    /** Shapes the tile kernels handle: whole ints of nibbles per group. */
    static boolean supports(int in, int group) { return in % Q4_BLOCK == 0 && (group % Q4_BLOCK == 0 || group == in); }

    /** The zero points, or null when every one is the midpoint 8 (symmetric: the kernels use the constant). */
    private static float[] zerosOrMidpoint(QuantizedMatrix m) {
        if (m.zeros() == null) {
            if (m.midpoint() != Q4Tiles.MID) {
                float[] z = new float[m.scales().length];
                Arrays.fill(z, m.midpoint());
                return z;
            }
            return null;
        }
        for (float zp : m.zeros()) if (zp != Q4Tiles.MID) return m.zeros();
        return null;
    }

    @Override public long weightBytes() { return 4L * tiles.length + scaleBytes(); }

    /** Decode's pre-scaled activations and group sums of the current call (see {@link #beforeRows}). */
    private Q4Tiles.Decoded decoded;

    /** Once per call rather than per row chunk (8 chunks at 2 threads), shared by the worker threads. */
    @Override
    protected void beforeRows(float[] x, int batch) {
        decoded = Q4Tiles.decoded(x, batch, in, group, tileSz == null);
    }

    /**
     * Decode's chunks (below 8 sequences) no smaller than 4 tile pairs: a chunk is one burst of streams from
     * memory, and 64-row chunks ran 896 x 896 and 1152 x 896 at batch 1 0.78-0.81x as fast at 2 threads (bench
     * kernels, alternating). Aligning decode to 128 rows instead left 9728-row gate/up 5% uneven (1280-row chunks).
     */
    @Override
    protected int minChunkRows(int batch) { return Q4Tiles.decodedFrom(batch) == 0 ? 8 * QuantKernels.L : rowAlign(batch); }

    @Override
    protected void kernel(float[] x, float[] xt, int batch, float[] y, int from, int to) {
        Q4Tiles.matmul(tiles, tileScales, tileSz, group, in, out, x, xt, batch, decoded, y, from, to);
    }

    @Override
    protected void dequantRow(int r, float[] tmp, int off) {
        Q4Tiles.row(tiles, scales, zeros, group, in, groups, r, tmp, off);
    }
}
