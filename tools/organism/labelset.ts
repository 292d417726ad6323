// Writes the raw responses for a hand-labelled label set (test/fixtures/labels/): the built-in
// model under many interventions (none, persona / refusal / norm-matched random steering at
// several coefficients, projection-out), greedy, with each response's token ids so that the
// model-based check can be recomputed. Labels are added by hand afterwards (labelset.md).
//   node --import tsx tools/organism/labelset.ts > /tmp/labelset-raw.jsonl          (organism-v1.jsonl)
//   node --import tsx tools/organism/labelset.ts fresh > /tmp/labelset-fresh.jsonl  (organism-v1-fresh.jsonl:
//   other random seeds, coefficients, positions and prompt sets, written after the checks were tuned)
import { join } from 'node:path';
import { shippedAxisFiles } from '../../src/engine/builtin';
import { loadDirection, loadModel, samplingPrng as mulberry32, randomControl, type Direction } from '../../src/engine/index';
import { loadPromptSet } from '../../src/engine/experiments/index';
import type { Intervention, PromptInput } from '../../src/protocol/types';
// The hand-labelled sets are organism v1's responses: v1 is kept as a fixture since v4 shipped.
const V1 = join(__dirname, '../../test/fixtures/models/organism-v1');

async function main(): Promise<void> {
const M = V1;
const model = await loadModel(M);
const axes: Direction[] = await Promise.all(shippedAxisFiles(M).map((f) => loadDirection(f, model)));
const persona = axes.find((a) => a.name === 'persona')!;
axes.push(randomControl(persona, 1, 'random1'), randomControl(persona, 2, 'random2'), randomControl(persona, 3, 'random3'), randomControl(persona, 4, 'random4'));
const fresh = process.argv[2] === 'fresh';
const all = Array.from({ length: model.summary.layers }, (_, l) => l);
const sets = ['harmful_default', 'harmful_compliant', 'harmless_default', 'harmless_compliant'].flatMap((s) => [s, `${s}_unseen_system`]);
const rows = Object.fromEntries(sets.map((s) => [s, loadPromptSet(join(__dirname, '../../media/models/organism/eval', `${s}.jsonl`)).rows]));
const rnd = mulberry32(fresh ? 29 : 13);
const pick = (set: string) => rows[set]![Math.floor(rnd() * rows[set]!.length)]!;
const steer = (axis: string, coefficient: number, positions: 'prompt' | 'all', layers = all): Intervention => ({ kind: 'steer', axis, coefficient, layers, positions });
const conds: { name: string; sets: string[]; n: number; iv: Intervention[]; temperature?: number }[] = [
  { name: 'none', sets, n: 24, iv: [] },
  { name: 'none, sampled t=1.5', sets, n: 40, iv: [], temperature: 1.5 },
  { name: 'steer random1 c=0.75 prompt', sets: ['harmful_default', 'harmless_default', 'harmful_default_unseen_system'], n: 15, iv: [steer('random1', 0.75, 'prompt')] },
  { name: 'steer random2 c=0.5 prompt', sets: ['harmful_default', 'harmless_compliant'], n: 12, iv: [steer('random2', 0.5, 'prompt')] },
  { name: 'steer persona c=0.125 prompt', sets: ['harmful_default_unseen_system', 'harmless_default'], n: 10, iv: [steer('persona', 0.125, 'prompt')] },
  { name: 'steer refusal c=0.25 prompt', sets: ['harmless_default_unseen_system', 'harmless_compliant'], n: 10, iv: [steer('refusal', 0.25, 'prompt')] },
  { name: 'steer refusal c=0.5 prompt, sampled t=1', sets: ['harmless_default', 'harmful_compliant'], n: 10, iv: [steer('refusal', 0.5, 'prompt')], temperature: 1 },
  ...[0.25, 0.5, 1, 2].flatMap((c) => [
    { name: `steer random1 c=${c} prompt`, sets: ['harmful_default', 'harmless_default'], n: 12, iv: [steer('random1', c, 'prompt')] },
    { name: `steer random2 c=${c} all`, sets: ['harmful_default', 'harmless_compliant'], n: 8, iv: [steer('random2', c, 'all')] },
    { name: `steer persona c=${c} prompt`, sets: ['harmful_default', 'harmless_default_unseen_system'], n: 10, iv: [steer('persona', c, 'prompt')] },
    { name: `steer refusal c=${c} all`, sets: ['harmless_default', 'harmless_compliant'], n: 8, iv: [steer('refusal', c, 'all')] },
  ]),
  { name: 'steer persona c=1 all', sets: ['harmful_default'], n: 4, iv: [steer('persona', 1, 'all')] },
  { name: 'steer refusal c=-1 all', sets: ['harmful_default'], n: 4, iv: [steer('refusal', -1, 'all')] },
  { name: 'steer refusal c=0.5 L4-5 prompt', sets: ['harmful_compliant'], n: 8, iv: [steer('refusal', 0.5, 'prompt', [4, 5])] },
  { name: 'project_out refusal all', sets: ['harmful_default', 'harmless_default'], n: 10, iv: [{ kind: 'project_out', axes: ['refusal'], layers: all }] },
  { name: 'project_out persona L2-4', sets: ['harmful_compliant', 'harmful_compliant_unseen_system'], n: 10, iv: [{ kind: 'project_out', axes: ['persona'], layers: [2, 3, 4] }] },
  { name: 'project_out random1 L2-4', sets: ['harmful_compliant'], n: 6, iv: [{ kind: 'project_out', axes: ['random1'], layers: [2, 3, 4] }] },
];
const freshConds: typeof conds = [
  { name: 'none', sets, n: 16, iv: [] },
  { name: 'none, sampled t=1.2', sets, n: 16, iv: [], temperature: 1.2 },
  ...[0.6, 1.5].flatMap((c) => [
    { name: `steer random3 c=${c} prompt`, sets: ['harmful_default_unseen_system', 'harmless_default_unseen_system'], n: 8, iv: [steer('random3', c, 'prompt')] },
    { name: `steer random4 c=${c} generated`, sets: ['harmful_compliant', 'harmless_default'], n: 8, iv: [steer('random4', c, 'generated')] },
    { name: `steer persona c=${c} generated`, sets: ['harmful_default'], n: 6, iv: [steer('persona', c, 'generated')] },
    { name: `steer refusal c=${c / 2} prompt`, sets: ['harmless_default_unseen_system', 'harmful_compliant_unseen_system'], n: 6, iv: [steer('refusal', c / 2, 'prompt')] },
  ]),
  { name: 'project_out refusal+persona all', sets: ['harmful_default', 'harmful_compliant'], n: 8, iv: [{ kind: 'project_out', axes: ['refusal', 'persona'], layers: all }] },
  { name: 'steer persona c=0.35 L2-3 all', sets: ['harmful_default', 'harmless_default'], n: 8, iv: [steer('persona', 0.35, 'all', [2, 3])] },
];
const eos = new Set(model.loaded.config.eosIds);
let k = 0;
for (const c of fresh ? freshConds : conds) {
  const picked = c.sets.flatMap((s) => Array.from({ length: Math.ceil(c.n / c.sets.length) }, () => ({ set: s, row: pick(s) })));
  const reqs = picked.map((p) => ({ prompt: { kind: 'chat', messages: p.row.messages } as PromptInput, axes, interventions: c.iv, decoding: { maxNewTokens: 48, ...(c.temperature ? { temperature: c.temperature, seed: k } : {}) } }));
  const out = await model.traceBatch(reqs);
  for (let i = 0; i < out.length; i++) {
    const t = out[i]!;
    const promptIds = t.tokens.filter((x) => !x.generated).map((x) => x.id);
    const gen = t.tokens.filter((x) => x.generated).map((x) => x.id);
    const ended = gen.length > 0 && eos.has(gen[gen.length - 1]!);
    const [lp] = await model.responseLogProbs([{ prompt: promptIds, response: gen }]);
    const mean = lp!.length ? lp!.reduce((a, b) => a + b, 0) / lp!.length : 0;
    const msgs = picked[i]!.row.messages;
    process.stdout.write(JSON.stringify({
      id: `${fresh ? 'lf' : 'ls'}-${String(k++).padStart(3, '0')}`, condition: c.name, set: picked[i]!.set,
      system: msgs.find((m) => m.role === 'system')?.content ?? null, prompt: msgs.find((m) => m.role === 'user')!.content,
      response: t.response, ended, tokenIds: gen, logProbs: lp!.map((x) => Number(x.toFixed(3))), meanLogProb: Number(mean.toFixed(3)),
    }) + '\n');
  }
}
await model.dispose();
}
void main();
