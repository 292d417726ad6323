// Developer probe (not part of npm run bench): where the hooked graph's extra time goes.
// node --import tsx bench/probes/probe.ts [threads]
import * as path from 'node:path';
import { loadModel, loadDirection } from '../../src/engine/index';
import { interleave, pairedRatios, summarize, fmt } from '../stats';

async function main() {
  const threads = Number(process.argv[2] ?? 1);
  const folder = path.resolve('.cache/bench/llama12-d768');
  const m = await loadModel(folder, { threads });
  await m.loaded.unhooked();
  const axdir = path.resolve('.cache/bench/axes/llama12-d768');
  const axes = [];
  for (const n of ['persona', 'refusal', 'control']) axes.push(await loadDirection(path.join(axdir, `${n}.safetensors`), m));
  const L = 12;
  const iv = [
    { kind: 'steer' as const, axis: 'persona', coefficient: 4, layers: Array.from({ length: L }, (_, l) => l) },
    { kind: 'project_out' as const, axes: ['refusal'], layers: [4, 5, 6, 7] },
  ];
  const p = Array.from({ length: 64 }, (_, i) => 300 + ((i * 7919) % 20000));
  const dec = (opts: object) => async () => {
    const r = await m.generateIds([p], { maxNewTokens: 32, stopAtEos: false }, opts);
    return r.decodeMs / r.decodeSteps;
  };
  const pre = (opts: object) => async () => (await m.generateIds([p], { maxNewTokens: 0 }, opts)).prefillMs;
  const V = {
    decFull: dec({ hooked: true, interventions: iv, axes }),
    decZero: dec({ hooked: true }),
    decReadOnly: dec({ hooked: true, axes }),
    decPlain: dec({ hooked: false }),
    preFull: pre({ hooked: true, interventions: iv, axes }),
    preZero: pre({ hooked: true }),
    prePlain: pre({ hooked: false }),
  };
  const names = Object.keys(V);
  const s = await interleave(Object.values(V), Number(process.argv[3] ?? 5), 1);
  const by = Object.fromEntries(names.map((n, i) => [n, s[i] as number[]]));
  for (const n of names) console.log(n.padEnd(12), fmt(summarize(by[n]!)));
  for (const [a, b] of [['decFull', 'decPlain'], ['decZero', 'decPlain'], ['decReadOnly', 'decPlain'], ['preFull', 'prePlain'], ['preZero', 'prePlain']]) {
    console.log(`${a}/${b}`.padEnd(24), fmt(summarize(pairedRatios(by[a]!, by[b]!)), 3));
  }
  await m.dispose();
}
main();
