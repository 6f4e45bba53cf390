package io.r1stream.engine.kv;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A fixed run of positions' KV, detached from engine memory: what the host tier keeps and what the Flink
 * state tier stores. Self-describing (format version, layout, encoding, the token ids it was computed from)
 * so a reader can check it belongs to the same model and still matches the conversation's tokens.
 *
 * @param modelFingerprint identity of the model (config + weights + weight format) the KV was computed by:
 *                      a fine-tune of the same shape has another, so its old KV is never reused
 * @param startPosition first position covered
 * @param tokenIds      the token ids at those positions (length = positions covered)
 * @param data          encoded K and V: per position, per layer, K row then V row (see {@link KvChunkCodec})
 */
public record KvChunk(int formatVersion, long modelFingerprint, int layers, int kvDim, KvEncoding encoding,
                      int startPosition, int[] tokenIds, byte[] data) implements Serializable {

    /** 2: carries the model fingerprint. */
    public static final int FORMAT_VERSION = 2;

    public int length() { return tokenIds.length; }

    public int endPosition() { return startPosition + tokenIds.length; }

    public long sizeBytes() { return data.length + 4L * tokenIds.length; }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvChunk c && formatVersion == c.formatVersion && modelFingerprint == c.modelFingerprint && layers == c.layers && kvDim == c.kvDim
                && encoding == c.encoding && startPosition == c.startPosition && Arrays.equals(tokenIds, c.tokenIds)
                && Arrays.equals(data, c.data);
    }

    @Override
    public int hashCode() { return 31 * startPosition + Arrays.hashCode(tokenIds); }

    @Override
    public String toString() {
        return "KvChunk[" + startPosition + ".." + endPosition() + ", " + encoding + ", " + data.length + " B]";
    }
}
