package io.r1stream.engine;

/** Where a request's reused prompt prefix came from, hottest first ({@code NONE}: computed from scratch). */
public enum KvSource {
    ENGINE, HOST, STATE, NONE;

    public String wireName() { return name().toLowerCase(); }
}
