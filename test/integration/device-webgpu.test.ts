// The engine's numerical contract on the webgpu device, on any Linux x64 machine: through
// SwiftShader (a Vulkan driver that runs on the CPU, shipped in Debian's chromium) the llama-gqa
// fixture's readouts and last logits under every golden intervention case (both prompts in one
// left-padded batch against the one-at-a-time PyTorch values), greedy tokens with the KV cache
// kept in device memory, and residuals (which a GPU model reads through a CPU session of its
// hooked graph: onnxruntime-node cannot read GPU tensors back). test/device-setup.sh installs
// libvulkan1 and chromium when missing.
//
// Tolerance: REL_WEBGPU = 1e-3 of each array's scale. Measured worst relative errors against the
// PyTorch goldens (all six cases; residuals as read on webgpu before they moved to the CPU
// session): llama-gqa resid 1.2e-4, readouts 7.6e-5, logits 2.3e-4; gemma
// 2.8e-4 / 2.6e-4 / 1.7e-4; gpt2 4e-7 / 5e-7 / 6e-7 (the CPU provider: under 1e-4, engine-golden).
// Only llama-gqa runs here: SwiftShader compiles each kernel's shaders on first use, 25–45 s per
// model on 2 shared cores, so gemma and gpt2 were measured once with the same checks and cut
// from the suite (the cases were cut, not the device).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import { swiftShaderSkip } from './device-swiftshader';
import { axesOf, checkGoldenCase, FIXTURES, golden } from './engine-fixtures';

const REL_WEBGPU = 1e-3;
const skip = swiftShaderSkip();

describe('webgpu (SwiftShader): llama-gqa against the PyTorch goldens', { skip }, () => {
  const name = 'llama-gqa';
  const g = golden(name);
  const axes = axesOf(g);
  let model: LensModel;
  before(async () => {
    model = await loadModel(join(FIXTURES, name), { device: 'webgpu', dtype: 'fp32', threads: 1 });
  });
  after(() => model?.dispose());

  it('opens on webgpu and says the adapter is software', () => {
    assert.equal(model.summary.device?.device, 'webgpu');
    assert.equal(model.summary.device?.requested, 'webgpu');
    assert.match(model.summary.device?.adapter ?? '', /SwiftShader/);
    assert.equal(model.summary.dtype, 'fp32');
  });

  it('every intervention case: residuals, batched readouts and last logits', async () => {
    for (const [caseName, c] of Object.entries(g.cases)) {
      await checkGoldenCase(model, g, c, axes, REL_WEBGPU, { label: caseName });
    }
  });

  it('greedy with the KV cache in device memory equals full recomputation (none, steer)', async () => {
    for (const [caseName, expected] of [['none', g.greedy.none], ['steer_A_l12', g.greedy.steer_A_l12]] as const) {
      const r = await model.trace({
        prompt: { kind: 'tokens', tokenIds: g.greedy.prompt_ids },
        axes,
        interventions: g.cases[caseName]?.interventions ?? [],
        decoding: { maxNewTokens: g.greedy.n, stopAtEos: false },
      });
      assert.deepEqual(r.tokens.filter((t) => t.generated).map((t) => t.id), expected, caseName);
      // one readout per token, the generated ones included
      assert.equal(r.projections[0]![0]!.length, r.tokens.length);
    }
  });

  it('auto dtype on a GPU opens the fp16 variant where the folder has one', async () => {
    const m = await loadModel(join(FIXTURES, name), { device: 'webgpu' });
    try {
      assert.equal(m.summary.dtype, 'fp16');
      assert.equal(m.summary.device?.device, 'webgpu');
    } finally {
      await m.dispose();
    }
  });
});
