package dev.pocketlm.model.gguf;

/** A GGUF file (or metadata) that cannot be read or written as asked; the message names the file and the field. */
public class GgufException extends RuntimeException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
