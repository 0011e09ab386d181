package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufTensors;
import dev.pocketlm.model.gguf.TensorInfo;
import dev.pocketlm.model.llama.KvCache;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ref-a's F32 weights written in llama2.c's layout load to the same model as the GGUF: identical logits and tokens. */
class Llama2cCheckpointTest {

    static Path reference(String file) {
        return Path.of(System.getProperty("pocket.root", ".")).resolve("../shared/data/reference").resolve(file).normalize();
    }

    @Test
    void llama2cExportOfRefAGivesTheGgufLogits(@TempDir Path dir) throws Exception {
        Path bin = dir.resolve("model.bin");
        try (GgufFile f = GgufFile.open(reference("ref-a-f32.gguf"))) {
            writeLlama2c(f, bin);
            writeTokenizer(f, dir.resolve("tokenizer.bin"));
        }
        try (Backend be = new CpuProvider().open("reference");
             LoadedModel gguf = ModelFiles.load(reference("ref-a-f32.gguf"), be);
             LoadedModel l2c = ModelFiles.load(bin, be)) {
            LlamaConfig c = l2c.model().config();
            assertEquals(gguf.model().config().dim(), c.dim());
            assertEquals(gguf.model().config().kvHeads(), c.kvHeads());
            int[] prompt = gguf.tokenizer().encode("Once upon a time", true);
            assertArrayEquals(prompt, l2c.tokenizer().encode("Once upon a time", true), "llama2.c tokenizer.bin encodes like the GGUF vocabulary");
            try (Scope s = Scope.open(); KvCache k1 = new KvCache(be, c, 8, DType.F32); KvCache k2 = new KvCache(be, c, 8, DType.F32)) {
                float[] a = gguf.model().forward(prompt, 0, k1, true).toFloats();
                float[] b = l2c.model().forward(prompt, 0, k2, true).toFloats();
                assertArrayEquals(a, b, 0f);
            }
        }
    }

    @Test
    void truncatedCheckpointNamesTheTensor(@TempDir Path dir) throws Exception {
        Path bin = dir.resolve("model.bin");
        try (GgufFile f = GgufFile.open(reference("ref-a-f32.gguf"))) {
            writeLlama2c(f, bin);
        }
        byte[] all = Files.readAllBytes(bin);
        Files.write(bin, Arrays.copyOf(all, all.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.open(bin));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("tensor '"), e.getMessage());
    }

    /** run.c's order: embedding, then each per-layer kind for all layers, final norm, freq_cis, no classifier (tied). */
    private static void writeLlama2c(GgufFile f, Path out) throws IOException {
        LlamaConfig c = LlamaGguf.config(f);
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
            for (int v : new int[]{c.dim(), c.ffnDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), c.contextLength()}) {
                o.write(le(v));
            }
            floats(o, f, "token_embd.weight");
            for (String kind : new String[]{"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"}) {
                for (int l = 0; l < c.layers(); l++) floats(o, f, "blk." + l + "." + kind + ".weight");
            }
            floats(o, f, "output_norm.weight");
            o.write(new byte[2 * c.contextLength() * (c.headDim() / 2) * 4]);
        }
    }

    private static void floats(OutputStream o, GgufFile f, String name) throws IOException {
        TensorInfo t = f.tensor(name);
        float[] v = GgufTensors.toFloats(t, f.data(t));
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        o.write(b.array());
    }

    /** llama2.c's export: max length, then score, length and bytes per token, U+2581 written as a space. */
    private static void writeTokenizer(GgufFile f, Path out) throws IOException {
        String[] tokens = f.metadata().getStrings("tokenizer.ggml.tokens");
        float[] scores = f.metadata().getFloats("tokenizer.ggml.scores");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
            o.write(le(64));
            for (int i = 0; i < tokens.length; i++) {
                byte[] piece = tokens[i].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
                o.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(scores[i]).putInt(piece.length).array());
                o.write(piece);
            }
        }
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
