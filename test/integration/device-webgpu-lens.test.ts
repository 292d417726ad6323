// The logit lens on the webgpu device (SwiftShader, as device-webgpu.test.ts; slow: shader
// compilation): webgpu kernels fail on empty tensors, so the engine feeds a padding row there
// (LENS_INPUTS.pad). Runs without the lens keep working, and the lens matches the torch goldens.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import { swiftShaderSkip } from './device-swiftshader';
import { FIXTURES } from './engine-fixtures';

const skip = swiftShaderSkip();

describe('logit lens on webgpu (SwiftShader): llama-gqa', { skip }, () => {
  const lg = JSON.parse(readFileSync(join(FIXTURES, 'llama-gqa', 'golden-lens.json'), 'utf8')) as {
    prompt_ids: number[]; positions: number[]; top_k: number; cases: Record<string, { top_probs: number[][][]; refusal: number[][] }>;
  };
  let model: LensModel;
  before(async () => {
    model = await loadModel(join(FIXTURES, 'llama-gqa'), { device: 'webgpu', dtype: 'fp32', threads: 1 });
  });
  after(() => model?.dispose());

  it('a trace without the lens and one with it; the lens within 1e-3 of torch', async () => {
    const prompt = { kind: 'tokens' as const, tokenIds: lg.prompt_ids };
    const off = await model.trace({ prompt, axes: [], interventions: [], decoding: { maxNewTokens: 3 } });
    assert.equal(off.readouts.logitLens, undefined);
    const on = await model.trace({ prompt, axes: [], interventions: [], decoding: { maxNewTokens: 3 }, logitLens: { positions: lg.positions, topK: lg.top_k } });
    assert.deepEqual(on.tokens, off.tokens);
    const want = lg.cases['none']!;
    const lens = on.readouts.logitLens!;
    let worst = 0;
    lens.top.forEach((perPos, l) => perPos.forEach((toks, p) => {
      toks.forEach((t, j) => (worst = Math.max(worst, Math.abs(t.p - want.top_probs[l]![p]![j]!))));
      worst = Math.max(worst, Math.abs(lens.refusal[l]![p]! - want.refusal[l]![p]!));
    }));
    assert.ok(worst <= 1e-3, `worst difference from torch ${worst}`);
  });
});
