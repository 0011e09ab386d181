package dev.pocketlm.tensor;

/** How RoPE pairs dimensions within a head. */
public enum RopeMode {
    /** Adjacent pairs (2i, 2i+1), as in GGUF Llama files. */
    NORMAL,
    /** Half-split pairs (i, i + n/2), as in GPT-NeoX and Hugging Face Llama checkpoints. */
    NEOX
}
