package io.r1stream.engine.kv;

/** How KV leaves engine memory (host tier, exported chunks): bytes per element and the error it costs. */
public enum KvEncoding {
    /** 2 bytes per element; relative error ~5e-4. */
    FP16,
    /** 1 byte per element plus one float scale per (token, layer, K|V) row; relative error ~1%. */
    INT8;

    public static KvEncoding parse(String s) {
        for (KvEncoding e : values()) if (e.name().equalsIgnoreCase(s)) return e;
        throw new IllegalArgumentException("KV encoding '" + s + "' is not one of fp16, int8");
    }
}
