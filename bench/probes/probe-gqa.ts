// Developer probe (not part of npm run bench): the engine on the same 12-layer weights exported two
// ways: the standard-op export (`npm run bench` model) and the onnxruntime-genai layout with one
// GroupQueryAttention node per layer (tools/bench/make_gqa_model.py). Hooked graphs, the bench's
// interventions (steer every layer, project out the middle third, 3 readout axes), batch 1,
// 64-token prompt, 32 greedy tokens, interleaved rounds; decode as a fraction of the bandwidth
// bound measured by the bench's copy/read kernel in the same rounds.
//   /usr/bin/python3 tools/bench/make_gqa_model.py .cache/bench/llama12-d768 .cache/bench/llama12-d768-gqa
//   node --import tsx bench/probes/probe-gqa.ts THREADS ROUNDS
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { loadDirection, loadModel } from '../../src/engine/index';
import type { Direction } from '../../src/engine/directions/direction';
import { mulberry32 } from '../../src/engine/directions/math';
import { interleave, pairedRatios, summarize, fmt } from '../stats';

async function main() {
  const threads = Number(process.argv[2] ?? 1);
  const rounds = Number(process.argv[3] ?? 6);
  const std = await loadModel(path.resolve('.cache/bench/llama12-d768'), { threads });
  const gqa = await loadModel(path.resolve('.cache/bench/llama12-d768-gqa'), { threads });
  const axdir = path.resolve('.cache/bench/axes/llama12-d768');
  const axes: Direction[] = [];
  for (const n of ['persona', 'refusal', 'control']) axes.push(await loadDirection(path.join(axdir, `${n}.safetensors`)));
  const L = std.summary.layers;
  const iv = [
    { kind: 'steer' as const, axis: 'persona', coefficient: 4, layers: Array.from({ length: L }, (_, l) => l) },
    { kind: 'project_out' as const, axes: ['refusal'], layers: [4, 5, 6, 7] },
  ];
  const rnd = mulberry32(7);
  const prompt = Array.from({ length: 64 }, () => 256 + Math.floor(rnd() * 31000));
  const run = (m: typeof std) => async () => {
    const r = await m.generateIds([prompt], { maxNewTokens: 32, stopAtEos: false }, { interventions: iv, axes });
    return { decodeMs: r.decodeMs / r.decodeSteps, prefillMs: r.prefillMs, tokens: r.rows[0]!.generated.join(',') };
  };
  const bw = async () => {
    const out = JSON.parse(execFileSync(path.resolve('.cache/bench/bandwidth'), [String(threads), '512', '3'], { encoding: 'utf8' }));
    return Math.max(out.copy_median, out.read_median) as number;
  };
  type Sample = { decodeMs: number; prefillMs: number; tokens: string } | number;
  const [a, b, w] = (await interleave<Sample>([run(std), run(gqa), bw], rounds, 1)) as [
    { decodeMs: number; prefillMs: number; tokens: string }[],
    { decodeMs: number; prefillMs: number; tokens: string }[],
    number[],
  ];
  const agree = a.every((x, i) => x.tokens === b[i]!.tokens);
  const streamed = 382 * 2 ** 20; // bytes a decode step streams (BENCHMARKS.md, item 6)
  const frac = (ms: number[]) => summarize(ms.map((t, i) => 1000 / t / (w[i]! / streamed)));
  const dA = a.map((x) => x.decodeMs);
  const dB = b.map((x) => x.decodeMs);
  console.log(`threads ${threads}, ${rounds} rounds; greedy tokens agree: ${agree}`);
  console.log(`standard export  decode ${fmt(summarize(dA))} ms/token, ${fmt(frac(dA))} of bound; prefill ${fmt(summarize(a.map((x) => x.prefillMs)))} ms`);
  console.log(`GQA export       decode ${fmt(summarize(dB))} ms/token, ${fmt(frac(dB))} of bound; prefill ${fmt(summarize(b.map((x) => x.prefillMs)))} ms`);
  console.log(`GQA ÷ standard   decode ${fmt(summarize(pairedRatios(dB, dA)), 3)}, prefill ${fmt(summarize(pairedRatios(b.map((x) => x.prefillMs), a.map((x) => x.prefillMs))), 3)}`);
  await std.dispose();
  await gqa.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
