// Build time and batch-1 decode / prefill speed of a checkpoint at each dtype (one thread), for
// BENCHMARKS.md: e.g. the 12-layer d=768 bench model as a bf16 checkpoint
//   /usr/bin/python3 tools/bench/make_checkpoint.py /tmp/bench-bf16
//   node --import tsx bench/quant-decode.ts /tmp/bench-bf16 CACHE_DIR [THREADS]
// Timings only: no assertion. The first open of each dtype builds it (reported; "cached" when an
// earlier run built it), then a warm-up, then ROUNDS rounds that each run every dtype once on a
// 64-token prompt + 64 greedy tokens; medians are printed.
import { execFileSync } from 'node:child_process';
import { loadModel } from '../src/engine/index';
import { buildCheckpoint } from '../src/engine/checkpoint/index';
import type { CheckpointDtype, QuantScope } from '../src/protocol/dtypes';

async function main(): Promise<void> {
  const [folder, cacheDir, threadsArg, roundsArg] = process.argv.slice(2);
  if (!folder || !cacheDir) throw new Error('usage: quant-decode.ts CHECKPOINT CACHE_DIR [THREADS] [ROUNDS]');
  const threads = Number(threadsArg ?? 1);
  const ROUNDS = Number(roundsArg ?? 5);
  const ids = Array.from({ length: 64 }, (_, i) => 100 + ((i * 37) % 5000));
  const variants = [['fp32'], ['fp16'], ['q8', 'layers+head'], ['q4', 'layers'], ['q4', 'layers+head'], ['q4', 'all']] as [CheckpointDtype, QuantScope?][];
  const open = [];
  for (const [dtype, quantize] of variants) {
    const t0 = Date.now();
    const b = await buildCheckpoint(folder, { dtype, cacheDir, ...(quantize ? { quantize } : {}) });
    const buildS = (Date.now() - t0) / 1000;
    const disk = Number(execFileSync('du', ['-sLb', b.dir]).toString().split('\t')[0]);
    const m = await loadModel(folder, { dtype, threads, cacheDir, ...(quantize ? { quantize } : {}) });
    await m.generateIds([ids], { maxNewTokens: 8, stopAtEos: false });
    open.push({ name: `${dtype}${quantize ? ` (${quantize})` : ''}`, m, buildS, cached: b.cached, disk, decode: [] as number[], prefill: [] as number[] });
  }
  // rounds interleave the dtypes, so load from other processes hits them alike; ratios are per round
  for (let r = 0; r < ROUNDS; r++) {
    for (const o of open) {
      const g = await o.m.generateIds([ids], { maxNewTokens: 64, stopAtEos: false });
      o.decode.push((1000 * g.decodeSteps) / g.decodeMs);
      o.prefill.push((1000 * ids.length) / g.prefillMs);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const base = open[0]!;
  // accuracy on this random-weight model: 4 prompts, every layer's residual (max |Δ| ÷ max |fp32|)
  // and KL(fp32‖dtype) of the next-token distribution after the prompt
  const prompts = [0, 1, 2, 3].map((p) => Array.from({ length: 48 }, (_, i) => 50 + ((i * 97 + p * 1013) % 30000)));
  const probs = (l: Float32Array) => {
    const mx = Math.max(...l);
    const e = Float64Array.from(l, (x) => Math.exp(x - mx));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  const refs: { resid: Float32Array[]; p: Float64Array }[] = [];
  for (const ids of prompts) {
    const g = await base.m.generateIds([ids], { maxNewTokens: 0 });
    refs.push({ resid: await base.m.residuals({ kind: 'tokens', tokenIds: ids }), p: probs(g.rows[0]!.firstLogits) });
  }
  const acc: string[] = [];
  for (const o of open.slice(1)) {
    let resid = 0;
    let kl = 0;
    for (const [i, ids] of prompts.entries()) {
      const r = await o.m.residuals({ kind: 'tokens', tokenIds: ids });
      r.forEach((x, l) => {
        const y = refs[i]!.resid[l]!;
        let e = 0;
        let m = 0;
        for (let j = 0; j < y.length; j++) {
          e = Math.max(e, Math.abs(x[j]! - y[j]!));
          m = Math.max(m, Math.abs(y[j]!));
        }
        resid = Math.max(resid, e / m);
      });
      const q = probs((await o.m.generateIds([ids], { maxNewTokens: 0 })).rows[0]!.firstLogits);
      kl += refs[i]!.p.reduce((a, p, j) => a + (p > 0 ? p * Math.log(p / Math.max(q[j]!, 1e-300)) : 0), 0) / prompts.length;
    }
    acc.push(`| ${o.name} | ${resid.toExponential(1)} | ${kl.toExponential(1)} |`);
  }
  console.log(['| dtype | residual error, worst layer and prompt | KL(fp32‖dtype) mean, nats |', '|---|---|---|', ...acc].join('\n'));
  const rows = open.map((o) => {
    const ratio = med(o.decode.map((d, r) => d / base.decode[r]!));
    return `| ${o.name} | ${o.buildS.toFixed(1)} s${o.cached ? ' (cached)' : ''} | ${(o.disk / 2 ** 20).toFixed(0)} MiB | ${med(o.decode).toFixed(1)} | ${ratio.toFixed(2)}× | ${med(o.prefill).toFixed(0)} |`;
  });
  console.log(['| dtype | build (first open) | build folder on disk | decode tok/s (median) | vs fp32 (median of per-round ratios) | prefill tok/s |', '|---|---|---|---|---|---|', ...rows].join('\n'));
  for (const o of open) await o.m.dispose();
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
