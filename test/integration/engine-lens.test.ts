// The logit lens through LensModel against torch (tools/pymodels/lens_golden.py: hooks, the
// final norm and lm_head in torch) on the fixture forms: plain, fused (llama-gqa's weights with
// ORT's fused norms), fp16, LayerNorm (gpt2), Gemma's (1 + w) norm and scaled embeddings, tied
// embeddings; a 4-bit MatMulNBits lm_head against its own logits. Also: the lens is off unless
// asked (no readouts.logitLens, same projections, same tokens) and bad options name the field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import type { Intervention } from '../../src/protocol/types';
import { axesOf, FIXTURES, golden } from './engine-fixtures';
import { LENS_OUTPUTS } from '../../src/engine/onnx/index';

interface LensGolden {
  prompt_ids: number[];
  positions: number[];
  top_k: number;
  refusal_ids: number[];
  cases: Record<string, { interventions: Intervention[]; top_ids: number[][][]; top_probs: number[][][]; refusal: number[][] }>;
}
const lensGolden = (name: string): LensGolden => JSON.parse(readFileSync(join(FIXTURES, name, 'golden-lens.json'), 'utf8'));

const FORMS = [
  { name: 'llama-gqa', gold: 'llama-gqa', tol: 1e-4 },
  { name: 'llama-fused', gold: 'llama-gqa', tol: 1e-4 },
  // fp16 weights and residual: probabilities on fp16's scale
  { name: 'llama-gqa', gold: 'llama-gqa', dtype: 'fp16' as const, tol: 3e-3 },
  { name: 'gpt2', gold: 'gpt2', tol: 1e-4 },
  { name: 'gemma', gold: 'gemma', tol: 1e-4 },
  { name: 'llama-tied', gold: 'llama-tied', tol: 1e-4 },
];

for (const form of FORMS) {
  describe(`logit lens: ${form.name}${form.dtype ? ` ${form.dtype}` : ''} against torch`, () => {
    const lg = lensGolden(form.gold);
    const axes = axesOf(golden(form.gold));
    let model: LensModel;
    before(async () => {
      model = await loadModel(join(FIXTURES, form.name), { threads: 1, ...(form.dtype ? { dtype: form.dtype } : {}) });
    });
    after(() => model?.dispose());

    for (const [name, c] of Object.entries(lg.cases)) {
      it(`${name}: top-${lg.top_k} ids and probabilities and the refusal probability per layer and position`, async () => {
        const r = await model.trace({
          prompt: { kind: 'tokens', tokenIds: lg.prompt_ids }, axes, interventions: c.interventions,
          decoding: { maxNewTokens: 0 }, logitLens: { positions: lg.positions, topK: lg.top_k },
        });
        const lens = r.readouts.logitLens!;
        assert.ok(lens, 'the trace carries readouts.logitLens');
        assert.deepEqual(lens.positions, lg.positions);
        assert.deepEqual([...lens.refusalTokenIds].sort((a, b) => a - b), lg.refusal_ids, 'the refusal score\'s token set');
        assert.equal(lens.top.length, c.top_ids.length, 'one row per layer');
        let worst = 0;
        c.top_ids.forEach((perPos, l) => perPos.forEach((ids, p) => {
          const got = lens.top[l]![p]!;
          const want = c.top_probs[l]![p]!;
          assert.equal(got.length, lg.top_k);
          got.forEach((tok, j) => {
            worst = Math.max(worst, Math.abs(tok.p - want[j]!));
            // ids must agree where the golden's neighbours are apart by more than the tolerance
            const apart = (j === 0 || want[j - 1]! - want[j]! > form.tol) && (j === want.length - 1 || want[j]! - want[j + 1]! > form.tol);
            if (apart) assert.equal(tok.id, ids[j], `layer ${l} position ${lg.positions[p]} rank ${j}`);
          });
          const dr = Math.abs(lens.refusal[l]![p]! - c.refusal[l]![p]!);
          assert.ok(dr <= form.tol, `refusal probability at layer ${l} position ${lg.positions[p]}: ${lens.refusal[l]![p]} vs torch ${c.refusal[l]![p]}`);
        }));
        assert.ok(worst <= form.tol, `top-k probabilities within ${form.tol} of torch (worst ${worst})`);
      });
    }

    it('the last layer at the last prompt token is the model\'s own next-token distribution: its refusal probability is sigmoid(refusal score)', async () => {
      const r = await model.trace({ prompt: { kind: 'tokens', tokenIds: lg.prompt_ids }, axes: [], interventions: [], decoding: { maxNewTokens: 0 }, logitLens: {} });
      const lens = r.readouts.logitLens!;
      assert.deepEqual(lens.positions, [lg.prompt_ids.length - 1], 'default: the last prompt token');
      const p = lens.refusal[lens.refusal.length - 1]![0]!;
      const want = 1 / (1 + Math.exp(-r.label.refusalScore));
      assert.ok(Math.abs(p - want) <= 1e-5 * Math.max(1, want) + (form.dtype ? 1e-4 : 0), `${p} vs ${want}`);
    });
  });
}

describe('logit lens: 4-bit MatMulNBits lm_head (llama-ortgqa q4)', () => {
  let model: LensModel;
  before(async () => {
    model = await loadModel(join(FIXTURES, 'llama-ortgqa'), { threads: 1, dtype: 'q4' });
  });
  after(() => model?.dispose());
  it('runs quantized in the graph; the last layer agrees with the refusal score and probabilities are sorted and sum below 1', async () => {
    const ids = [5, 17, 42, 99, 3, 8];
    const r = await model.trace({ prompt: { kind: 'tokens', tokenIds: ids }, axes: [], interventions: [], decoding: { maxNewTokens: 0 }, logitLens: { positions: [0, -1], topK: 4 } });
    const lens = r.readouts.logitLens!;
    assert.deepEqual(lens.positions, [0, 5]);
    assert.equal(lens.top.length, model.summary.layers);
    for (const perPos of lens.top) {
      for (const toks of perPos) {
        assert.equal(toks.length, 4);
        for (let j = 1; j < toks.length; j++) assert.ok(toks[j - 1]!.p >= toks[j]!.p, 'most probable first');
        assert.ok(toks.reduce((s, t) => s + t.p, 0) <= 1 + 1e-6);
      }
    }
    const p = lens.refusal[lens.refusal.length - 1]![1]!;
    assert.ok(Math.abs(p - 1 / (1 + Math.exp(-r.label.refusalScore))) <= 1e-5);
  });
});

describe('logit lens: off unless asked, and bad options', () => {
  const g = golden('llama-gqa');
  const axes = axesOf(g);
  let model: LensModel;
  before(async () => {
    model = await loadModel(join(FIXTURES, 'llama-gqa'), { threads: 1 });
  });
  after(() => model?.dispose());
  const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };

  it('without the option: no logitLens readout and no lens output fetched; with it, projections and tokens are unchanged', async () => {
    // every run's fetch list, seen at the session
    const session = model.loaded.hooked.session as unknown as { run: (f: unknown, fetches: string[]) => Promise<unknown> };
    const real = session.run.bind(session);
    const fetched: string[][] = [];
    session.run = (f, fetches) => (fetched.push([...fetches]), real(f, fetches));
    const off = await model.trace({ prompt, axes, interventions: [], decoding: { maxNewTokens: 4 } });
    const offFetches = fetched.splice(0);
    const on = await model.trace({ prompt, axes, interventions: [], decoding: { maxNewTokens: 4 }, logitLens: { positions: [0, 3, -1] } });
    session.run = real;
    assert.ok(offFetches.length > 1 && offFetches.every((f) => !f.some((n) => n.startsWith('rl.lens'))), 'off: no run fetches a lens output');
    const lensRuns = fetched.filter((f) => f.some((n) => n.startsWith('rl.lens')));
    assert.equal(lensRuns.length, 1, 'on: the prefill alone fetches them');
    assert.ok(Object.values(LENS_OUTPUTS).every((n) => lensRuns[0]!.includes(n)));
    assert.equal(off.readouts.logitLens, undefined);
    assert.deepEqual(Object.keys(off.readouts), ['projections']);
    assert.ok(on.readouts.logitLens);
    assert.deepEqual(on.tokens, off.tokens);
    assert.deepEqual(on.readouts.projections, off.readouts.projections, 'bit-identical projections');
    assert.equal(on.label.refusalScore, off.label.refusalScore);
  });

  it('a batch mixes lens and plain requests of different lengths', async () => {
    const short = { kind: 'tokens' as const, tokenIds: g.prompt_ids.slice(0, 5) };
    const [a, b, c] = await model.traceBatch([
      { prompt, axes, interventions: [], decoding: { maxNewTokens: 2 }, logitLens: {} },
      { prompt: short, axes, interventions: [], decoding: { maxNewTokens: 2 }, logitLens: { positions: [-1] } },
      { prompt: short, axes, interventions: [], decoding: { maxNewTokens: 2 } },
    ]);
    assert.deepEqual(a!.readouts.logitLens!.positions, [g.prompt_ids.length - 1]);
    assert.deepEqual(b!.readouts.logitLens!.positions, [4]);
    assert.equal(c!.readouts.logitLens, undefined);
    assert.deepEqual(b!.tokens, c!.tokens);
  });

  it('bad options are refused with the field named', async () => {
    const bad = async (logitLens: unknown, re: RegExp) =>
      assert.rejects(model.trace({ prompt, axes: [], interventions: [], decoding: { maxNewTokens: 0 }, logitLens: logitLens as never }), re);
    await bad({ topK: 0 }, /logitLens\.topK must be an integer 1\.\.100/);
    await bad({ topK: 2.5 }, /logitLens\.topK/);
    await bad({ positions: [] }, /logitLens\.positions must be a non-empty list/);
    await bad({ positions: [0, 'x'] }, /logitLens\.positions\[1\] must be an integer/);
    await bad({ positions: [g.prompt_ids.length] }, new RegExp(`logitLens\\.positions\\[0\\] = ${g.prompt_ids.length} is outside the prompt`));
    await bad({ positions: [-(g.prompt_ids.length + 1)] }, /is outside the prompt/);
    await bad('yes', /logitLens must be an object/);
  });
});
