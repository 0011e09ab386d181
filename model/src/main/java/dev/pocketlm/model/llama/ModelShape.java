package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.RopeMode;

import java.util.Arrays;

/** Named Llama shapes for random-weight models (benchmarks without downloads), each with a real vocabulary. */
public enum ModelShape {
    /** The shape of ../shared/data/reference/ref-a: small enough for tests. */
    TINY("tiny", 64, 2, 4, 2, 192, 256, Vocabulary.LLAMA_SPM),
    /** SmolLM-135M's transformer (its own 49,152-token BPE vocabulary is replaced by GPT-2's 50,257). */
    SMOLLM_135M("smollm-135m", 576, 30, 9, 3, 1536, 2048, Vocabulary.GPT2),
    /** SmolLM-360M's transformer (vocabulary as SmolLM-135M's): 960 wide, so 14 of a row's 30 blocks past its whole group. */
    SMOLLM_360M("smollm-360m", 960, 32, 15, 5, 2560, 2048, Vocabulary.GPT2),
    /** TinyLlama-1.1B: 2048 wide, 22 layers, 32 heads, 4 KV heads, FFN 5632, the Llama-2 vocabulary. */
    TINYLLAMA_1_1B("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 2048, Vocabulary.LLAMA_SPM);

    /** The vocabularies shipped in the jar (llama.cpp's vocab-only GGUF files, MIT). */
    public enum Vocabulary {
        LLAMA_SPM("llama-spm.gguf", 32000),
        GPT2("gpt-2.gguf", 50257);

        private final String resource;
        private final int size;

        Vocabulary(String resource, int size) {
            this.resource = resource;
            this.size = size;
        }

        /** Class-path resource of the vocab-only GGUF. */
        public String resource() { return "/dev/pocketlm/model/vocab/" + resource; }

        public int size() { return size; }
    }

    private final String label;
    private final int dim, layers, heads, kvHeads, ffn, context;
    private final Vocabulary vocabulary;

    ModelShape(String label, int dim, int layers, int heads, int kvHeads, int ffn, int context, Vocabulary vocabulary) {
        this.label = label;
        this.dim = dim;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.ffn = ffn;
        this.context = context;
        this.vocabulary = vocabulary;
    }

    public String label() { return label; }

    public Vocabulary vocabulary() { return vocabulary; }

    public LlamaConfig config() {
        return new LlamaConfig(dim, layers, heads, kvHeads, ffn, vocabulary.size(), context, 1e-5f, 10000f, dim / heads, RopeMode.NORMAL);
    }

    public static ModelShape byLabel(String label) {
        return Arrays.stream(values()).filter(s -> s.label.equalsIgnoreCase(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown shape '" + label + "'; known: "
                        + String.join(", ", Arrays.stream(values()).map(ModelShape::label).toList())));
    }
}
