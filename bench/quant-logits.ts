// Prints the built graph and the first next-token logits of a checkpoint at a dtype, as JSON, for
// tools/pymodels/quant_reference.py (which dequantises the built graph's weights in numpy and runs
// them in PyTorch). Usage:
//   node --import tsx bench/quant-logits.ts CHECKPOINT DTYPE [QUANTIZE] [CACHE_DIR] > out.json
import { loadModel } from '../src/engine/index';
import type { QuantScope } from '../src/protocol/dtypes';

async function main(): Promise<void> {
  const [folder, dtype, quantize, cacheDir] = process.argv.slice(2);
  if (!folder || !dtype) throw new Error('usage: quant-logits.ts CHECKPOINT DTYPE [QUANTIZE] [CACHE_DIR]');
  // float32 activations: the graph is then exactly the dequantised weights' (int8 activations add their own rounding)
  const m = await loadModel(folder, { dtype, threads: 1, accuracyLevel: 0, ...(quantize ? { quantize: quantize as QuantScope } : {}), ...(cacheDir ? { cacheDir } : {}) });
  const ids = [1, 5, 9, 20, 33, 47, 50, 61, 2, 7, 100, 3];
  const r = await m.generateIds([ids], { maxNewTokens: 0 });
  process.stdout.write(JSON.stringify({ graph: m.loaded.graphPath, ids, logits: Array.from(r.rows[0]!.firstLogits) }) + '\n');
  await m.dispose();
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
