package io.r1stream.engine.kv;

import io.r1stream.engine.model.TensorDtype;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves KV between engine blocks (float32) and compact {@link KvChunk}s (fp16 or int8). Chunk data layout,
 * little-endian: for each position, for each layer, the K row then the V row; an fp16 row is kvDim halves,
 * an int8 row is a float32 scale (max |x| / 127) followed by kvDim signed bytes. A layout without V (MLA's latent
 * cache, {@code vDim == 0}) writes the K row only; a V row is vDim wide.
 */
public final class KvChunkCodec {
    private final KvLayout layout;
    private final KvEncoding encoding;
    private final long modelFingerprint;

    /** @param modelFingerprint stamped on every chunk written; chunks with another one are never decoded */
    public KvChunkCodec(KvLayout layout, KvEncoding encoding, long modelFingerprint) {
        this.layout = layout;
        this.encoding = encoding;
        this.modelFingerprint = modelFingerprint;
    }

    public KvChunkCodec(KvLayout layout, KvEncoding encoding) { this(layout, encoding, 0L); }

    public long modelFingerprint() { return modelFingerprint; }

    /** True when the chunk was computed by this model (same fingerprint); other chunks must be recomputed. */
    public boolean fromThisModel(KvChunk c) { return c.modelFingerprint() == modelFingerprint; }

    public KvEncoding encoding() { return encoding; }

    /** Bytes one encoded row of n elements takes (0 for an empty row). */
    private int rowBytes(int n) {
        if (n == 0) return 0;
        return encoding == KvEncoding.FP16 ? 2 * n : 4 + n;
    }

    /** Encoded bytes per position (all layers, K and V). */
    public int bytesPerPosition() { return layout.layers() * (rowBytes(layout.kvDim()) + rowBytes(layout.vDim())); }

    /** Splits positions [0, seq.length()) into chunks of {@code chunkTokens} (the last may be shorter). */
    public List<KvChunk> encode(KvSequence seq, int chunkTokens) { return encode(seq, 0, seq.length(), chunkTokens); }

    /** Positions [from, to) as chunks of at most {@code chunkTokens}: what a turn appends to the state tier. */
    public List<KvChunk> encode(KvSequence seq, int from, int to, int chunkTokens) {
        List<KvChunk> out = new ArrayList<>();
        for (int start = from; start < to; start += chunkTokens) {
            out.add(encode(seq, start, Math.min(to, start + chunkTokens)));
        }
        return out;
    }

    public KvChunk encode(KvSequence seq, int from, int to) {
        int n = to - from, kvDim = layout.kvDim(), vDim = layout.vDim();
        ByteBuffer buf = ByteBuffer.allocate(n * bytesPerPosition()).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[n];
        for (int p = from; p < to; p++) {
            ids[p - from] = seq.token(p);
            KvBlock b = seq.block(p);
            for (int l = 0; l < layout.layers(); l++) {
                int slot = p % layout.blockTokens();
                putRow(buf, b.k(), layout.offset(l, slot), kvDim);
                if (vDim > 0) putRow(buf, b.v(), layout.vOffset(l, slot), vDim);
            }
        }
        return new KvChunk(KvChunk.FORMAT_VERSION, modelFingerprint, layout.layers(), kvDim, encoding, from, ids, buf.array());
    }

    /**
     * Appends chunks (contiguous from position seq.length()) to a sequence. Returns false, leaving the
     * sequence as it was, when the source is out of blocks.
     */
    public boolean decodeInto(List<KvChunk> chunks, KvSequence seq, KvBlockSource source) {
        int start = seq.length();
        int end = start;
        for (KvChunk c : chunks) {
            check(c);
            if (c.startPosition() != end) {
                throw new IllegalArgumentException("KV chunks are not contiguous: expected position " + end + ", got " + c.startPosition());
            }
            end = c.endPosition();
        }
        if (!seq.reserve(end, source)) return false;
        int kvDim = layout.kvDim(), vDim = layout.vDim();
        for (KvChunk c : chunks) {
            ByteBuffer buf = ByteBuffer.wrap(c.data()).order(ByteOrder.LITTLE_ENDIAN);
            for (int p = c.startPosition(); p < c.endPosition(); p++) {
                KvBlock b = seq.block(p);
                for (int l = 0; l < layout.layers(); l++) {
                    int slot = p % layout.blockTokens();
                    getRow(buf, c.encoding(), b.k(), layout.offset(l, slot), kvDim);
                    if (vDim > 0) getRow(buf, c.encoding(), b.v(), layout.vOffset(l, slot), vDim);
                }
            }
            seq.commit(c.startPosition(), c.tokenIds());
        }
        return true;
    }

    /** A chunk from another model (shape or fingerprint) or a future format is refused, never misread. */
    public void check(KvChunk c) {
        if (!fromThisModel(c)) {
            throw new IllegalArgumentException("KV chunk was computed by another model (fingerprint "
                    + Long.toHexString(c.modelFingerprint()) + ", this model " + Long.toHexString(modelFingerprint) + ")");
        }
        if (c.formatVersion() != KvChunk.FORMAT_VERSION) {
            throw new IllegalArgumentException("KV chunk format version " + c.formatVersion() + " is not " + KvChunk.FORMAT_VERSION);
        }
        if (c.layers() != layout.layers() || c.kvDim() != layout.kvDim()) {
            throw new IllegalArgumentException("KV chunk of shape (layers " + c.layers() + ", kvDim " + c.kvDim()
                    + ") does not fit this model (layers " + layout.layers() + ", kvDim " + layout.kvDim() + ")");
        }
        // The chunk does not record its V width: a K-only (MLA) chunk and a K+V chunk differ in bytes per position.
        long expected = (long) c.length() * new KvChunkCodec(layout, c.encoding()).bytesPerPosition();
        if (c.data().length != expected) {
            throw new IllegalArgumentException("KV chunk holds " + c.data().length + " bytes for " + c.length()
                    + " positions but this model's layout (K " + layout.kvDim() + ", V " + layout.vDim() + " per layer, "
                    + c.encoding() + ") needs " + expected + ": it was written for another model");
        }
    }

    private void putRow(ByteBuffer buf, float[] src, int off, int n) {
        if (encoding == KvEncoding.FP16) {
            for (int i = 0; i < n; i++) buf.putShort(TensorDtype.floatToHalf(src[off + i]));
            return;
        }
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(src[off + i]));
        float scale = max == 0 ? 1f : max / 127f;
        buf.putFloat(scale);
        for (int i = 0; i < n; i++) buf.put((byte) Math.round(src[off + i] / scale));
    }

    private static void getRow(ByteBuffer buf, KvEncoding enc, float[] dst, int off, int n) {
        if (enc == KvEncoding.FP16) {
            for (int i = 0; i < n; i++) dst[off + i] = TensorDtype.halfToFloat(buf.getShort());
            return;
        }
        float scale = buf.getFloat();
        for (int i = 0; i < n; i++) dst[off + i] = buf.get() * scale;
    }
}
