package io.r1stream.engine.model.attention;

import io.r1stream.engine.kv.KvBlock;
import io.r1stream.engine.kv.KvLayout;
import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.arch.DeepseekV3Config;
import io.r1stream.engine.model.arch.RmsNorm;

/**
 * Multi-head latent attention (DeepSeek-V2/V3) over the compressed cache. Per token and layer the cache holds
 * one K row of {@code R + dr} floats: the normalized latent {@code c = kv_a_layernorm(kv_a[0..R))} and the
 * roped shared key {@code k_rope}; no V (H heads; R = kv_lora_rank; dn, dr, dv = qk_nope, qk_rope, v dims).
 *
 * <p>Two equal ways to attend (tests hold them to float rounding of each other):
 * <ul>
 *   <li>absorbed (decode): the key part of kv_b_proj is folded into the query, {@code q_lat = W_uk,h^T q_nope},
 *       so scores are {@code [q_lat, q_rope] . [c_p, k_rope_p]} straight against the cached rows, and the value
 *       part is applied once to the attention-weighted latent, {@code o_h = W_uv,h (sum_p a_p c_p)};</li>
 *   <li>expanded (prefill chunks of many tokens): kv_b_proj turns the step's sequence's cached latents into
 *       per-head keys and values once, then ordinary attention runs, which costs less when many queries share
 *       them.</li>
 * </ul>
 */
public final class MlaAttention implements Attention {
    /** How a step's rows attend; AUTO expands for steps of at least {@link #expandThreshold()} new tokens. */
    public enum Mode { AUTO, ABSORBED, EXPANDED }

    private final int layer;
    private final MlaWeights w;
    private final MlaRope rope;
    private final KvLayout layout;
    private final MatmulThreads threads;
    private final int heads, dn, dr, dv, rank, qhd, qLora;
    private final float scale, eps;
    private Mode mode = Mode.AUTO;

    public MlaAttention(int layer, DeepseekV3Config c, MlaWeights w, MlaRope rope, KvLayout layout, MatmulThreads threads) {
        if (layout.kvDim() != c.kvCacheDim() || layout.vDim() != 0) {
            throw new IllegalArgumentException("MLA needs a K-only KV layout of " + c.kvCacheDim() + " per layer, got " + layout);
        }
        this.layer = layer;
        this.w = w;
        this.rope = rope;
        this.layout = layout;
        this.threads = threads;
        heads = c.numHeads();
        dn = c.qkNopeHeadDim();
        dr = c.qkRopeHeadDim();
        dv = c.vHeadDim();
        rank = c.kvLoraRank();
        qhd = c.qHeadDim();
        qLora = c.qLoraRank();
        scale = (float) c.softmaxScale();
        eps = (float) DeepseekV3Config.LATENT_NORM_EPS;
    }

    /** For tests and benchmarks: force one form. */
    public void mode(Mode m) { this.mode = m; }

    /** Steps with at least this many new tokens use the expanded form in AUTO mode (it pays once queries share keys). */
    public int expandThreshold() { return Math.max(2, (dn + dv) / 2); }

    @Override
    public long weightBytesPerToken() {
        long n = w.q().weightBytes() + w.kvA().weightBytes() + w.kvB().weightBytes() + w.o().weightBytes();
        return w.qA() == null ? n : n + w.qA().weightBytes();
    }

    @Override
    public void forward(TokenBatch batch, float[] x, float[] out) {
        int T = batch.rows(), kvw = rank + dr;
        // ---- queries: (T, H (dn + dr)), through the q-LoRA bottleneck when there is one
        float[] q = new float[T * heads * qhd];
        if (w.qA() != null) {
            float[] qa = new float[T * qLora], qan = new float[T * qLora];
            w.qA().apply(x, T, qa);
            RmsNorm.apply(qa, w.qANorm(), qan, T, qLora, eps);
            w.q().apply(qan, T, q);
        } else {
            w.q().apply(x, T, q);
        }
        // ---- latent and rope key: (T, R + dr); write [norm(latent), rope(k_rope)] into the cache
        float[] kva = new float[T * kvw];
        w.kvA().apply(x, T, kva);
        float[] cos = new float[dr / 2], sin = new float[dr / 2];
        for (int t = 0; t < T; t++) {
            int pos = batch.position(t);
            rope.angles(pos, cos, sin, 0);
            KvBlock block = batch.kv(t).block(pos);
            int off = layout.offset(layer, pos % layout.blockTokens());
            float[] row = block.k();
            float[] normed = new float[rank];
            RmsNorm.apply(kva, kvw, t * kvw, w.kvANorm(), normed, 1, rank, eps);
            System.arraycopy(normed, 0, row, off, rank);
            System.arraycopy(kva, t * kvw + rank, row, off + rank, dr);
            rope.rotate(row, off + rank, cos, sin, 0);
            for (int h = 0; h < heads; h++) rope.rotate(q, (t * heads + h) * qhd + dn, cos, sin, 0);
        }
        // ---- attention, per step in the form that suits it: att (T, H dv)
        float[] att = new float[T * heads * dv];
        int[] absorbedRows = new int[T];
        int m = 0;
        for (int s = 0; s < batch.steps().size(); s++) {
            int n = batch.rowsOf(s), first = batch.firstRow(s);
            boolean expand = mode == Mode.EXPANDED || (mode == Mode.AUTO && n >= expandThreshold());
            if (expand) expanded(batch, s, q, att);
            else for (int i = 0; i < n; i++) absorbedRows[m++] = first + i;
        }
        if (m > 0) absorbed(batch, absorbedRows, m, q, att);
        w.o().apply(att, T, out);
    }

    /** Absorbed attention for rows[0..m): scores and values straight from the cached latent rows. */
    private void absorbed(TokenBatch batch, int[] rows, int m, float[] q, float[] att) {
        int kvw = rank + dr;
        // q_abs (m, H, R + dr): [W_uk,h^T q_nope,h, q_rope,h]
        float[] qAbs = new float[m * heads * kvw];
        float[] qn = new float[m * dn], ql = new float[m * rank];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < m; i++) System.arraycopy(q, (rows[i] * heads + h) * qhd, qn, i * dn, dn);
            w.keyUp()[h].apply(qn, m, ql);
            for (int i = 0; i < m; i++) {
                int dst = (i * heads + h) * kvw;
                System.arraycopy(ql, i * rank, qAbs, dst, rank);
                System.arraycopy(q, (rows[i] * heads + h) * qhd + dn, qAbs, dst + rank, dr);
            }
        }
        float[] oLat = new float[m * heads * rank]; // (m, H, R) attention-weighted latents
        threads.forRows(m * heads, 1, (from, to) -> {
            for (int item = from; item < to; item++) {
                int i = item / heads, h = item % heads, row = rows[i];
                int pos = batch.position(row);
                KvSequence seq = batch.kv(row);
                float[] sc = new float[pos + 1];
                int qOff = (i * heads + h) * kvw;
                for (int p = 0; p <= pos; p++) {
                    sc[p] = RowMath.dot(qAbs, qOff, seq.block(p).k(), layout.offset(layer, p % layout.blockTokens()), kvw) * scale;
                }
                RowMath.softmax(sc, pos + 1);
                int oOff = (i * heads + h) * rank;
                for (int p = 0; p <= pos; p++) {
                    RowMath.axpy(sc[p], seq.block(p).k(), layout.offset(layer, p % layout.blockTokens()), oLat, oOff, rank);
                }
            }
        });
        float[] lat = new float[m * rank], o = new float[m * dv];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < m; i++) System.arraycopy(oLat, (i * heads + h) * rank, lat, i * rank, rank);
            w.valueUp()[h].apply(lat, m, o);
            for (int i = 0; i < m; i++) System.arraycopy(o, i * dv, att, (rows[i] * heads + h) * dv, dv);
        }
    }

    /** Expanded attention for step s: per-head keys and values of its whole sequence from kv_b_proj, then attend. */
    private void expanded(TokenBatch batch, int s, float[] q, float[] att) {
        int first = batch.firstRow(s), n = batch.rowsOf(s);
        KvSequence seq = batch.steps().get(s).kv();
        int S = batch.position(first + n - 1) + 1, kvb = dn + dv;
        float[] lat = new float[S * rank];                 // (S, R)
        for (int p = 0; p < S; p++) {
            System.arraycopy(seq.block(p).k(), layout.offset(layer, p % layout.blockTokens()), lat, p * rank, rank);
        }
        float[] kv = new float[S * heads * kvb];           // (S, H (dn + dv))
        w.kvB().apply(lat, S, kv);
        threads.forRows(n * heads, 1, (from, to) -> {
            for (int item = from; item < to; item++) {
                int i = item / heads, h = item % heads, row = first + i;
                int pos = batch.position(row);
                int qOff = (row * heads + h) * qhd;
                float[] sc = new float[pos + 1];
                for (int p = 0; p <= pos; p++) {
                    float nope = RowMath.dot(q, qOff, kv, (p * heads + h) * kvb, dn);
                    float rot = RowMath.dot(q, qOff + dn, seq.block(p).k(), layout.offset(layer, p % layout.blockTokens()) + rank, dr);
                    sc[p] = (nope + rot) * scale;
                }
                RowMath.softmax(sc, pos + 1);
                int oOff = (row * heads + h) * dv;
                for (int p = 0; p <= pos; p++) RowMath.axpy(sc[p], kv, (p * heads + h) * kvb + dn, att, oOff, dv);
            }
        });
    }
}
