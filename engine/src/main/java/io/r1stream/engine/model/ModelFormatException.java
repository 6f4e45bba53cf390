package io.r1stream.engine.model;

/** A model directory that cannot be used as it is: the message names the file, tensor or field and what was expected. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) { super(message); }
    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
