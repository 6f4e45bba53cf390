package io.r1stream.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The optional bearer token. Both sides are hashed first, so the comparison ({@link MessageDigest#isEqual},
 * constant time for equal lengths) takes the same time whatever the length or content of the guess.
 */
final class ApiKeyCheck {
    private final byte[] expected; // SHA-256 of the key, or null when no key is required

    ApiKeyCheck(String key) {
        this.expected = key == null || key.isEmpty() ? null : sha256(key);
    }

    boolean required() { return expected != null; }

    /** @param authorization the Authorization header, or null */
    boolean accepts(String authorization) {
        if (expected == null) return true;
        String given = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : "";
        return MessageDigest.isEqual(expected, sha256(given));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
