// Activation capping through LensModel on the fixtures (plain, fused, fp16): the cap is a closed
// form of the residual it acts on, p = r·v̂, r ← r + (clamp(p, lo, hi) − p)·v̂, so the engine's
// capped residual at layer l must equal that formula applied to its own uncapped residual at l;
// earlier layers are untouched and later ones change.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import type { CapIntervention, Intervention } from '../../src/protocol/types';
import { readFileSync } from 'node:fs';
import { assertClose, axesOf, FIXTURES, golden, maxAbs as maxAbsRows } from './engine-fixtures';

/** Torch goldens for caps on llama-gqa's weights (tools/pymodels/cap_golden.py); llama-fused shares them. */
interface CapGolden { cases: Record<string, { interventions: Intervention[]; resid: number[][][]; readouts: Record<string, number[][]>; logits_last: number[] }> }
const capGolden = JSON.parse(readFileSync(join(FIXTURES, 'llama-gqa', 'golden-cap.json'), 'utf8')) as CapGolden;

const FORMS = [
  { name: 'llama-gqa', dtype: undefined, tol: 1e-5, torchTol: 1e-4 },
  { name: 'llama-fused', dtype: undefined, tol: 1e-5, torchTol: 1e-4 },
  // fp16 residual: the cap runs in half precision, so the comparison is on fp16's scale
  { name: 'llama-gqa', dtype: 'fp16' as const, tol: 2e-3, torchTol: 2e-2 },
];

function unitAt(v: Float32Array, l: number, d: number): Float64Array {
  const u = Float64Array.from(v.subarray(l * d, (l + 1) * d));
  const n = Math.hypot(...u);
  return u.map((x) => x / n);
}

/** The cap applied in float64 to each row of r ([T * d]). */
function capRows(r: Float32Array, u: Float64Array, lo: number, hi: number): { out: Float64Array; proj: number[] } {
  const d = u.length;
  const out = Float64Array.from(r);
  const proj: number[] = [];
  for (let t = 0; t < r.length / d; t++) {
    let p = 0;
    for (let i = 0; i < d; i++) p += r[t * d + i]! * u[i]!;
    proj.push(p);
    const shift = Math.min(Math.max(p, lo), hi) - p;
    for (let i = 0; i < d; i++) out[t * d + i]! += shift * u[i]!;
  }
  return { out, proj };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

for (const form of FORMS) {
  describe(`cap: ${form.name}${form.dtype ? ` ${form.dtype}` : ''}`, () => {
    const g = golden(form.name);
    const axes = axesOf(g);
    const axis = axes[0]!;
    const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
    const L = 1;
    let model: LensModel;
    before(async () => {
      model = await loadModel(join(FIXTURES, form.name), { threads: 1, ...(form.dtype ? { dtype: form.dtype } : {}) });
    });
    after(() => model?.dispose());

    it('capped residual = formula(uncapped residual) at the layer; earlier layers equal, later ones change', async () => {
      const plain = await model.residuals(prompt, { axes, interventions: [] });
      const u = unitAt(axis.vectors, L, g.d_model);
      const { proj } = capRows(plain[L]!, u, -Infinity, Infinity);
      const sorted = [...proj].sort((a, b) => a - b);
      // bounds inside the range of the prompt's projections, so both sides clamp some tokens
      const lo = sorted[Math.floor(sorted.length / 4)]!;
      const hi = sorted[Math.floor((3 * sorted.length) / 4)]!;
      assert.ok(sorted[0]! < lo && hi < sorted[sorted.length - 1]!, 'the bounds clamp tokens on both sides');
      const cases: { lo?: number; hi?: number }[] = [{ lo, hi }, { hi }, { lo }];
      for (const bounds of cases) {
        const cap: CapIntervention = { kind: 'cap', axis: axis.name, layers: [L], ...bounds };
        const capped = await model.residuals(prompt, { axes, interventions: [cap] });
        const want = capRows(plain[L]!, u, bounds.lo ?? -Infinity, bounds.hi ?? Infinity).out;
        const scale = maxAbs(plain[L]!);
        const err = maxDiff(capped[L]!, want) / scale;
        assert.ok(err < form.tol, `${JSON.stringify(bounds)}: capped residual off the formula by ${err.toExponential(2)} (relative)`);
        for (let l = 0; l < L; l++) assert.deepEqual(capped[l], plain[l], `layer ${l} before the cap is untouched`);
        for (let l = L + 1; l < g.layers; l++) assert.ok(maxDiff(capped[l]!, plain[l]!) > 1e-4 * scale, `layer ${l} after the cap changes`);
        // the capped projections lie inside the bounds
        const after = capRows(capped[L]!, u, -Infinity, Infinity).proj;
        const slack = form.tol * scale;
        for (const p of after) {
          if (bounds.lo !== undefined) assert.ok(p >= bounds.lo - slack, `projection ${p} below lo ${bounds.lo}`);
          if (bounds.hi !== undefined) assert.ok(p <= bounds.hi + slack, `projection ${p} above hi ${bounds.hi}`);
        }
      }
    });

    for (const [caseName, c] of Object.entries(capGolden.cases)) {
      it(`torch golden ${caseName}: residuals, readouts and last logits`, async () => {
        const resid = await model.residuals({ kind: 'tokens', tokenIds: g.prompt_ids }, { axes, interventions: c.interventions });
        resid.forEach((r, l) => assertClose(r, c.resid[l]!.flat(), form.torchTol, `resid layer ${l}`));
        const t = await model.trace({ prompt: { kind: 'tokens', tokenIds: g.prompt_ids }, axes, interventions: c.interventions, decoding: { maxNewTokens: 0 } });
        axes.forEach((a, j) => {
          for (let l = 0; l < g.layers; l++) assertClose(t.projections[j]![l]!, c.readouts[a.name]![l]!, form.torchTol, `readout ${a.name} layer ${l}`, maxAbsRows(c.resid[l]!));
        });
        const out = await model.generateIds([g.prompt_ids], { maxNewTokens: 0 }, { interventions: c.interventions, axes });
        assertClose(out.rows[0]!.firstLogits, c.logits_last, form.torchTol, 'logits_last');
      });
    }

    it('positions: a generated-only cap leaves the prompt (prefill) untouched, a prompt-only cap does not', async () => {
      const plain = await model.residuals(prompt, { axes, interventions: [] });
      const cap = (positions: 'prompt' | 'generated'): Intervention => ({ kind: 'cap', axis: axis.name, hi: -1, layers: [L], positions });
      const gen = await model.residuals(prompt, { axes, interventions: [cap('generated')] });
      gen.forEach((r, l) => assert.deepEqual(r, plain[l], `layer ${l}`));
      const pro = await model.residuals(prompt, { axes, interventions: [cap('prompt')] });
      assert.ok(maxDiff(pro[L]!, plain[L]!) > 0);
    });

    it('a cap that clamps nothing leaves every layer bit-identical', async () => {
      const plain = await model.residuals(prompt, { axes, interventions: [] });
      const wide: Intervention = { kind: 'cap', axis: axis.name, lo: -1e30, hi: 1e30, layers: [0, 1] };
      const capped = await model.residuals(prompt, { axes, interventions: [wide] });
      // shift = clamp(p) − p = +0 exactly, and r + 0·v̂ = r (the cap runs in float32 on every form:
      // in fp16 ORT's CPU Min/Max moved an unclamped projection by an ulp)
      capped.forEach((r, l) => assert.deepEqual(r, plain[l], `layer ${l}`));
    });

    it('cap after project-out on the same axis at the same layer acts on the projected-out residual', async () => {
      const po: Intervention = { kind: 'project_out', axes: [axis.name], layers: [L] };
      const a = await model.residuals(prompt, { axes, interventions: [po] });
      const b = await model.residuals(prompt, { axes, interventions: [po, { kind: 'cap', axis: axis.name, lo: 5, layers: [L] }] });
      // lo = 5 > 0 moves every token's projection up to 5: the cap sees the projected-out residual
      const u = unitAt(axis.vectors, L, g.d_model);
      const want = capRows(a[L]!, u, 5, Infinity).out;
      assert.ok(maxDiff(b[L]!, want) / maxAbs(a[L]!) < form.tol);
      const projs = capRows(b[L]!, u, -Infinity, Infinity).proj;
      for (const p of projs) assert.ok(Math.abs(p - 5) < 1e-2, `projection ${p} is 5 after project-out then cap ≥ 5`);
    });
  });
}

describe('cap validation', () => {
  const g = golden('llama-gqa');
  const axes = axesOf(g);
  let model: LensModel;
  before(async () => {
    model = await loadModel(join(FIXTURES, 'llama-gqa'), { threads: 1 });
  });
  after(() => model?.dispose());
  const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
  const run = (iv: object) => model.residuals(prompt, { axes, interventions: [iv as Intervention] });
  it('refuses a cap with no bound, inverted bounds, a non-finite bound or an unknown axis', async () => {
    const a = axes[0]!.name;
    await assert.rejects(run({ kind: 'cap', axis: a, layers: [1] }), /interventions\[0\]: a cap intervention needs "lo", "hi" or both/);
    await assert.rejects(run({ kind: 'cap', axis: a, lo: 2, hi: 1, layers: [1] }), /interventions\[0\]: cap bounds: lo 2 is above hi 1/);
    await assert.rejects(run({ kind: 'cap', axis: a, hi: Infinity, layers: [1] }), /interventions\[0\]: hi must be a finite number/);
    await assert.rejects(run({ kind: 'cap', axis: 'nope', hi: 0, layers: [1] }), /interventions\[0\]: unknown axis "nope"/);
  });
});
