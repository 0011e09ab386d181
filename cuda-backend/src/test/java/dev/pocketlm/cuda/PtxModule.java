package dev.pocketlm.cuda;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The shipped PTX read as text: its ISA version and each entry's parameter types, in order. */
record PtxModule(String text, String version, Map<String, List<String>> entries) {
    private static final Pattern VERSION = Pattern.compile("(?m)^\\.version (\\S+)$");
    private static final Pattern ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param \\.(\\w+)");

    /** The jar's PTX, or null when the build had no nvcc. */
    static PtxModule shipped() {
        if (CudaModule.class.getResource(CudaModule.PTX_RESOURCE) == null) return null;
        return parse(new String(CudaModule.ptx(), StandardCharsets.US_ASCII));
    }

    static PtxModule parse(String text) {
        Matcher v = VERSION.matcher(text);
        String version = v.find() ? v.group(1) : "";
        Map<String, List<String>> entries = new LinkedHashMap<>();
        Matcher e = ENTRY.matcher(text);
        while (e.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(e.group(2));
            while (p.find()) types.add(p.group(1));
            entries.put(e.group(1), types);
        }
        return new PtxModule(text, version, entries);
    }
}
