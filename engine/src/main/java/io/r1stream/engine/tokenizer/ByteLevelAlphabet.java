package io.r1stream.engine.tokenizer;

/**
 * The GPT-2 / Qwen2 byte-level alphabet: every byte 0..255 is shown as one printable Unicode character,
 * so that BPE can work on strings while covering arbitrary UTF-8. Printable Latin-1 bytes stand for
 * themselves; the others (controls, space, 0x7F-0xA0, 0xAD) are shifted to U+0100 and up, in byte order
 * (space becomes {@code Ġ}, newline {@code Ċ}). This must match the Rust {@code ByteLevel} pre-tokenizer
 * and decoder exactly, or the generated tokenizer.json would not round-trip.
 */
final class ByteLevelAlphabet {

    private static final char[] BYTE_TO_CHAR = new char[256];

    static {
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + shifted++);
        }
    }

    private ByteLevelAlphabet() {}

    /** The character standing for one byte (0..255). */
    static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte-level string of some raw bytes: one character per byte. */
    static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_TO_CHAR[b & 0xFF]);
        }
        return sb.toString();
    }
}
