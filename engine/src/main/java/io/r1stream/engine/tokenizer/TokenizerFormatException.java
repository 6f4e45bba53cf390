package io.r1stream.engine.tokenizer;

/** A tokenizer file that cannot be used: the message names the file and what was wrong with it. */
public class TokenizerFormatException extends RuntimeException {
    public TokenizerFormatException(String message) { super(message); }
    public TokenizerFormatException(String message, Throwable cause) { super(message, cause); }
}
