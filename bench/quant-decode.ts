// Build time and batch-1 decode / prefill speed of a checkpoint at each dtype (one thread), for
// BENCHMARKS.md: e.g. the 12-layer d=768 bench model as a bf16 checkpoint
//   /usr/bin/python3 tools/bench/make_checkpoint.py /tmp/bench-bf16
//   node --import tsx bench/quant-decode.ts /tmp/bench-bf16 CACHE_DIR [THREADS]
// Timings only: no assertion. The first open of each dtype builds it (reported), then a warm-up
// run, then 3 rounds of a 64-token prompt + 64 greedy tokens; the median round is printed.
import { execFileSync } from 'node:child_process';
import { loadModel } from '../src/engine/index';
import { buildCheckpoint } from '../src/engine/checkpoint/index';
import type { CheckpointDtype, QuantScope } from '../src/protocol/dtypes';

async function main(): Promise<void> {
  const [folder, cacheDir, threadsArg] = process.argv.slice(2);
  if (!folder || !cacheDir) throw new Error('usage: quant-decode.ts CHECKPOINT CACHE_DIR [THREADS]');
  const threads = Number(threadsArg ?? 1);
  const ids = Array.from({ length: 64 }, (_, i) => 100 + ((i * 37) % 5000));
  const rows: string[] = [];
  let fp32Decode = 0;
  for (const [dtype, quantize] of [['fp32'], ['fp16'], ['q8', 'layers+head'], ['q4', 'layers'], ['q4', 'layers+head'], ['q4', 'all']] as [CheckpointDtype, QuantScope?][]) {
    const t0 = Date.now();
    const b = await buildCheckpoint(folder, { dtype, cacheDir, ...(quantize ? { quantize } : {}) });
    const buildS = (Date.now() - t0) / 1000;
    const disk = Number(execFileSync('du', ['-sLb', b.dir]).toString().split('\t')[0]);
    const m = await loadModel(folder, { dtype, threads, cacheDir, ...(quantize ? { quantize } : {}) });
    await m.generateIds([ids], { maxNewTokens: 8, stopAtEos: false });
    const rounds = [];
    for (let r = 0; r < 3; r++) rounds.push(await m.generateIds([ids], { maxNewTokens: 64, stopAtEos: false }));
    rounds.sort((a, c) => a.decodeMs / a.decodeSteps - c.decodeMs / c.decodeSteps);
    const mid = rounds[1]!;
    const tps = (1000 * mid.decodeSteps) / mid.decodeMs;
    if (dtype === 'fp32') fp32Decode = tps;
    const rss = process.memoryUsage().rss;
    rows.push(
      `| ${dtype}${quantize ? ` (${quantize})` : ''} | ${buildS.toFixed(1)} s${b.cached ? ' (cached)' : ''} | ${(disk / 2 ** 20).toFixed(0)} MiB | ${tps.toFixed(1)} | ${(tps / fp32Decode).toFixed(2)}× | ` +
        `${((1000 * ids.length) / mid.prefillMs).toFixed(0)} | ${(rss / 2 ** 20).toFixed(0)} MiB |`,
    );
    console.log(rows[rows.length - 1]);
    await m.dispose();
  }
  console.log(['| dtype | build | build folder on disk | decode tok/s | vs fp32 | prefill tok/s | process RSS after |', '|---|---|---|---|---|---|---|', ...rows].join('\n'));
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
