package dev.pocketlm.model.tokenizer;

/** What the tokenizers built on a GGUF {@link Vocabulary} answer alike: special ids, size and token texts. */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SentencePieceTokenizer, Gpt2Tokenizer {
    final Vocabulary vocab;

    VocabularyTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
    }

    @Override public int bosId() { return vocab.bos; }

    @Override public int eosId() { return vocab.eos; }

    @Override public boolean addBos() { return vocab.addBos; }

    @Override public int vocabSize() { return vocab.size(); }

    @Override public String token(int id) {
        vocab.checkId(id);
        return vocab.tokens[id];
    }
}
