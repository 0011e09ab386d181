package dev.pocketlm.model.tokenizer;

/** llama.cpp's token types, as stored in {@code tokenizer.ggml.token_type} (by ordinal). */
public enum TokenType {
    UNDEFINED,
    NORMAL,
    UNKNOWN,
    CONTROL,
    USER_DEFINED,
    UNUSED,
    BYTE;

    private static final TokenType[] BY_ID = values();

    /** The type with this id; ids outside the known range read as UNDEFINED, as llama.cpp treats them. */
    static TokenType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : UNDEFINED;
    }
}
