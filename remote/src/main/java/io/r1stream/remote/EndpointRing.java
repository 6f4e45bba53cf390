package io.r1stream.remote;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Consistent hashing of conversations onto replicas: each endpoint owns {@link #VNODES} points on a 64-bit
 * ring; a key belongs to the first point clockwise of its hash. {@link #order} lists every endpoint in the
 * order a key meets them, so when the key's replica is unhealthy the caller takes the next one, and only the
 * conversations of the unhealthy replica move (back again once it recovers): every other conversation keeps
 * its replica and its warm prefix cache.
 */
final class EndpointRing<E> {
    static final int VNODES = 64;

    private final TreeMap<Long, E> ring = new TreeMap<>();
    private final int size;

    EndpointRing(Map<String, E> endpointsByName) {
        for (Map.Entry<String, E> e : endpointsByName.entrySet()) {
            for (int v = 0; v < VNODES; v++) ring.put(hash(e.getKey() + "#" + v), e.getValue());
        }
        this.size = endpointsByName.size();
    }

    /** Every endpoint, in the order the key meets them going clockwise (the first is its home replica). */
    List<E> order(String key) {
        Set<E> seen = new LinkedHashSet<>();
        long h = hash(key);
        for (E e : ring.tailMap(h, true).values()) {
            if (seen.add(e) && seen.size() == size) return new ArrayList<>(seen);
        }
        for (E e : ring.values()) {
            if (seen.add(e) && seen.size() == size) break;
        }
        return new ArrayList<>(seen);
    }

    /** 64-bit FNV-1a, then a murmur3 finalizer so nearby names spread over the whole ring. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
