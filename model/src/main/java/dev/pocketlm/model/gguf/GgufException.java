package dev.pocketlm.model.gguf;

import dev.pocketlm.model.ModelFormatException;

/** A GGUF file (or metadata) that cannot be read or written as asked; the message names the file and the field. */
public class GgufException extends ModelFormatException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
