package dev.pocketlm.model;

/** A model file that cannot be used: the message names the file, the tensor or key, and expected versus found. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) { super(message); }

    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
