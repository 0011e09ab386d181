package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;

/** Text to token ids and back, built from a GGUF vocabulary; behaves like llama.cpp's tokenizer of the same kind. */
public sealed interface Tokenizer permits VocabularyTokenizer, CharTokenizer {
    /** The id returned by {@link #bosId()} or {@link #eosId()} when the vocabulary has no such token. */
    int NO_TOKEN = -1;
    String MODEL_KEY = "tokenizer.ggml.model";

    static Tokenizer fromGguf(GgufFile file) {
        return fromMetadata(file.metadata());
    }

    /** Picks the tokenizer named by {@code tokenizer.ggml.model}: llama (SentencePiece), gpt2 (byte-level BPE), char. */
    static Tokenizer fromMetadata(GgufMetadata m) {
        String model = m.getString(MODEL_KEY);
        return switch (model) {
            case SentencePieceTokenizer.MODEL -> SentencePieceTokenizer.fromMetadata(m);
            case Gpt2Tokenizer.MODEL -> Gpt2Tokenizer.fromMetadata(m);
            case CharTokenizer.MODEL -> CharTokenizer.fromMetadata(m);
            default -> throw new GgufException(m.source() + ": metadata key '" + MODEL_KEY + "' is '" + model
                    + "', expected one of '" + SentencePieceTokenizer.MODEL + "', '" + Gpt2Tokenizer.MODEL + "', '"
                    + CharTokenizer.MODEL + "'");
        };
    }

    /**
     * Token ids of {@code text}, after BOS when {@code addBos}. With {@code parseSpecial}, the texts of control tokens
     * in the input (such as {@code <s>}) become those tokens; user-defined tokens always do.
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** Token ids of {@code text} with special-token texts treated as plain text. */
    default int[] encode(String text, boolean addBos) {
        return encode(text, addBos, false);
    }

    /** The bytes token {@code id} stands for (empty for control tokens); possibly part of a UTF-8 character. */
    byte[] decode(int id);

    /**
     * A streaming decoder. {@code startOfText}: the first token decoded starts the text (right after BOS, if any),
     * so the space a SentencePiece tokenizer prefixed while encoding is dropped; false to continue earlier text.
     */
    default Decoder decoder(boolean startOfText) {
        return new Decoder(this, startOfText && addsSpacePrefix());
    }

    default Decoder decoder() {
        return decoder(true);
    }

    /** The text of {@code ids} from the start of a text: {@code decode(encode(s, b)) == s} for lossless tokenizers. */
    default String decode(int[] ids) {
        Decoder d = decoder(true);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.next(id));
        return sb.append(d.finish()).toString();
    }

    /** Whether encoding prefixes the text with a space (which the first decoded token then drops). */
    boolean addsSpacePrefix();

    int bosId();

    int eosId();

    /** Whether the model expects BOS at the start of a prompt ({@code tokenizer.ggml.add_bos_token}). */
    boolean addBos();

    int vocabSize();

    /** The stored text of token {@code id}, for display. */
    String token(int id);
}
