package dev.pocketlm.cuda;

import jcuda.nvptxcompiler.JNvPTXCompiler;
import jcuda.nvptxcompiler.nvPTXCompilerHandle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static jcuda.nvptxcompiler.nvPTXCompileResult.NVPTXCOMPILE_SUCCESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shipped PTX assembles for every GPU generation we target, with JCuda's in-process PTX compiler (no GPU). */
class PtxAssemblesTest {
    private static PtxModule ptx;

    @BeforeAll static void load() {
        ptx = PtxModule.shipped();
        assumeTrue(ptx != null, "no PTX shipped: the build ran without nvcc");
    }

    @Test void declaresAnIsaThatCuda12DriversLoad() {
        assertEquals("8.0", ptx.version(), "PTX ISA version in " + CudaModule.PTX_RESOURCE);
    }

    @ParameterizedTest @ValueSource(strings = {"sm_75", "sm_86", "sm_89", "sm_90"})
    void assembles(String arch) {
        assertNull(assemble(ptx.text(), arch), () -> "PTX does not assemble for " + arch);
    }

    /** Proves the check above can fail: an undefined register is an assembly error. */
    @Test void rejectsBrokenPtx() {
        String broken = ptx.text().replaceFirst("(\\.visible \\.entry \\w+\\([^)]*\\)\\s*\\{)", "$1\n\tmov.u32 %undefined_register, 1;");
        assertNotNull(assemble(broken, "sm_86"), "a broken module assembled");
    }

    /** Every kernel KERNELS.md documents is in the module. */
    @Test void containsEveryDocumentedKernel() throws IOException {
        Path doc = Path.of(System.getProperty("pocket.root", ".."), "kernels", "KERNELS.md");
        assumeTrue(Files.isRegularFile(doc), "no " + doc);
        Matcher m = Pattern.compile("(?m)^\\| `(\\w+)`(?:, `(\\w+)`)*").matcher(kernelTables(Files.readString(doc)));
        List<String> documented = new ArrayList<>();
        while (m.find()) {
            for (String name : m.group(0).split(",")) documented.add(name.replaceAll("[|` ]", ""));
        }
        assertTrue(documented.size() > 30, "parsed too few kernel names from " + doc + ": " + documented);
        List<String> missing = documented.stream().filter(k -> !ptx.entries().containsKey(k)).toList();
        assertTrue(missing.isEmpty(), "kernels documented but not in the PTX: " + missing);
    }

    /** The part of KERNELS.md after its "## Kernels" heading (the dialect table above names macros). */
    private static String kernelTables(String doc) {
        int at = doc.indexOf("\n## Kernels");
        assertTrue(at >= 0, "KERNELS.md has no '## Kernels' section");
        return doc.substring(at);
    }

    /** The assembler's error log, or null on success; ptxas when JCuda's native compiler cannot load. */
    static String assemble(String text, String arch) {
        try {
            return assembleInProcess(text, arch);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return assembleWithPtxas(text, arch, e);
        }
    }

    private static String assembleInProcess(String text, String arch) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        nvPTXCompilerHandle handle = new nvPTXCompilerHandle();
        int created = JNvPTXCompiler.nvPTXCompilerCreate(handle, bytes.length, bytes);
        if (created != NVPTXCOMPILE_SUCCESS) return "nvPTXCompilerCreate: " + created;
        try {
            int result = JNvPTXCompiler.nvPTXCompilerCompile(handle, 1, new String[]{"--gpu-name=" + arch});
            if (result == NVPTXCOMPILE_SUCCESS) return null;
            long[] size = new long[1];
            JNvPTXCompiler.nvPTXCompilerGetErrorLogSize(handle, size);
            byte[] log = new byte[(int) size[0] + 1];
            JNvPTXCompiler.nvPTXCompilerGetErrorLog(handle, log);
            return "nvPTXCompiler error " + result + ": " + new String(log, StandardCharsets.US_ASCII).trim();
        } finally {
            JNvPTXCompiler.nvPTXCompilerDestroy(handle);
        }
    }

    private static String assembleWithPtxas(String text, String arch, LinkageError why) {
        try {
            Path in = Files.createTempFile("pocket", ".ptx");
            try {
                Files.writeString(in, text);
                Process p = new ProcessBuilder("ptxas", "-arch=" + arch, in.toString(), "-o", "/dev/null").redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return p.waitFor() == 0 ? null : "ptxas: " + log;
            } finally {
                Files.delete(in);
            }
        } catch (IOException e) {
            assumeTrue(false, "neither JCuda's PTX compiler (" + why + ") nor ptxas (" + e.getMessage() + ") is available");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
