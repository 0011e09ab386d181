// llama.cpp's speed on a GGUF file, measured as `pocket bench` measures ours: a prompt of P tokens in one batch,
// then G generated tokens (greedy), after one warm-up run; the best of R runs, printed as one JSON object.
// Usage: node bench.mjs MODEL.gguf [--threads 2] [--prompt 64] [--gen 32] [--repeat 3]
import {getLlama} from "node-llama-cpp";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : Number(args[at + 1]);
};
const modelPath = args[0];
const threads = option("--threads", 2), promptTokens = option("--prompt", 64), genTokens = option("--gen", 32);
const repeat = option("--repeat", 3);
if (!modelPath || [threads, promptTokens, genTokens, repeat].some(v => !Number.isInteger(v) || v < 1)) {
  console.error("usage: node bench.mjs MODEL.gguf [--threads N] [--prompt N] [--gen N] [--repeat N] (all at least 1)");
  process.exit(2);
}

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});

async function run() {
  const context = await model.createContext({contextSize: promptTokens + genTokens + 16, threads, batchSize: promptTokens});
  try {
    const sequence = context.getSequence();
    const prompt = Array.from({length: promptTokens}, (_, i) => 100 + i);
    let start = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const promptSeconds = (performance.now() - start) / 1000;
    let generated = 0;
    start = performance.now();
    for await (const token of sequence.evaluate([100 + promptTokens], {temperature: 0})) {
      if (++generated >= genTokens) break;
    }
    const genSeconds = (performance.now() - start) / 1000;
    return {prompt: promptTokens / promptSeconds, gen: generated / genSeconds};
  } finally {
    await context.dispose();
  }
}

await run();
let best = {prompt: 0, gen: 0};
for (let r = 0; r < repeat; r++) {
  const m = await run();
  best = {prompt: Math.max(best.prompt, m.prompt), gen: Math.max(best.gen, m.gen)};
}
console.log(JSON.stringify({engine: "llama.cpp (node-llama-cpp 3.22.1, CPU)", model: modelPath, threads,
  prompt_tokens: promptTokens, generated_tokens: genTokens,
  prompt_tokens_per_s: +best.prompt.toFixed(3), generation_tokens_per_s: +best.gen.toFixed(3)}));
await model.dispose();
