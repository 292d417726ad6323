// Layer mapping against a PyTorch golden: the fixture model's axis A written in each source tool's
// own layout and convention (tools/vectors/golden_vectors.py, Debian torch), imported, and applied
// the way that tool applies it, must reproduce the golden readouts and logits (golden.json cases
// steer_A_l12: +2.5·A[l] at the output of blocks 1 and 2).
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModel, readVectorFile, type LensModel } from '../../src/engine/index';
import { layersPresent } from '../../src/engine/directions/formats/convert';
import type { Intervention } from '../../src/protocol/types';
import { FIXTURES, assertClose, axesOf, golden } from './engine-fixtures';

const PY = '/usr/bin/python3';
// Debian's python3-torch and python3-numpy (checked by path: importing torch takes seconds).
const hasTorch = existsSync(PY) && ['torch', 'numpy'].every((m) => existsSync(`/usr/lib/python3/dist-packages/${m}`));
const MODEL = join(FIXTURES, 'llama-gqa');
const g = golden('llama-gqa');
const REL = 1e-4;
let model: LensModel;
let dir: string;

before(async () => {
  if (!hasTorch) return;
  dir = mkdtempSync(join(tmpdir(), 'rl-vgold-'));
  execFileSync(PY, [resolve('tools/vectors/golden_vectors.py'), join(MODEL, 'golden.json'), dir]);
  model = await loadModel(MODEL, { threads: 1 });
});
after(async () => {
  await model?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// How each tool applies its file, in our terms once imported: at the layers whose rows are the
// source's own (persona_vectors: `--layer 2` and `--layer 3` = rows 2, 3), or a single vector at
// its source layer (refusal_direction / Neuronpedia) added at later blocks.
const CASES: Array<[string, string, (x: { meta: { sourceLayer?: number } }, present: number[]) => Intervention, string]> = [
  ['persona_vectors .pt (hidden_states rows)', 'persona.pt', () => ({ kind: 'steer', axis: 'X', coefficient: 2.5, layers: [1, 2] }), 'steer_A_l12'],
  ['dict of layers .pt', 'layers.pt', (_x, present) => ({ kind: 'steer', axis: 'X', coefficient: 2.5, layers: present }), 'steer_A_l12'],
  ['llama.cpp GGUF direction.N', 'cv.gguf', (_x, present) => ({ kind: 'steer', axis: 'X', coefficient: 2.5, layers: present }), 'steer_A_l12'],
  ['numpy [n_layers, d_model]', 'plain.npy', () => ({ kind: 'steer', axis: 'X', coefficient: 2.5, layers: [1, 2] }), 'steer_A_l12'],
];

// A single vector is applied by its tool at one place: refusal_direction's actadd at the input of
// block `layer`, Neuronpedia at its hook. In our terms: a steer at the imported source layer, which
// must equal steering the golden axis A at block output 1 (the engine's steering itself is checked
// against the PyTorch golden above and in engine-golden.test.ts). An off-by-one lands on layer 0 or 2.
const SINGLE: Array<[string, string]> = [
  ['refusal_direction (input of block `layer`)', 'rd/direction.pt'],
  ['Neuronpedia hook_resid_pre', 'np/vector.yaml'],
  ['Neuronpedia hook_resid_post', 'np_post/vector.yaml'],
];
for (const [what, file] of SINGLE) {
  test(`${what} is applied where its tool applies it (block output 1)`, { skip: !hasTorch && 'needs /usr/bin/python3 with torch' }, async () => {
    const x = await readVectorFile(join(dir, file), { nLayers: g.layers, dModel: g.d_model }, { name: 'X' });
    const axes = [...axesOf(g), x];
    const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
    const got = await model.trace({ prompt, axes, interventions: [{ kind: 'steer', axis: 'X', coefficient: 2.5, layers: [x.meta.sourceLayer!] }], decoding: { maxNewTokens: 1 } });
    const want = await model.trace({ prompt, axes, interventions: [{ kind: 'steer', axis: 'A', coefficient: 2.5, layers: [1] }], decoding: { maxNewTokens: 1 } });
    for (let l = 0; l < g.layers; l++) assertClose(got.projections[0]![l]!, want.projections[0]![l]!, 1e-6, `${file} A L${l}`);
  });
}

for (const [what, file, iv, caseName] of CASES) {
  test(`${what} steers like the PyTorch golden (${caseName})`, { skip: !hasTorch && 'needs /usr/bin/python3 with torch' }, async () => {
    const x = await readVectorFile(join(dir, file), { nLayers: g.layers, dModel: g.d_model }, { name: 'X' });
    const axes = [...axesOf(g), x];
    const c = g.cases[caseName]!;
    const r = await model.trace({ prompt: { kind: 'tokens', tokenIds: g.prompt_ids }, axes, interventions: [iv(x, layersPresent(x))], decoding: { maxNewTokens: 1 } });
    const nPrompt = g.prompt_ids.length;
    for (const [ai, name] of ['A', 'B'].entries()) {
      for (let l = 0; l < g.layers; l++) assertClose(r.projections[ai]![l]!.slice(0, nPrompt), c.readouts[name]![l]!, REL, `${file} ${name} L${l}`);
    }
    const out = await model.generateIds([g.prompt_ids], { maxNewTokens: 0 }, { interventions: [iv(x, layersPresent(x))], axes });
    assertClose(out.rows[0]!.firstLogits, c.logits_last, REL, `${file} logits_last`);
  });
}
