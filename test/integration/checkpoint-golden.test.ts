// Hugging Face checkpoint folders (test/fixtures/checkpoints, written by tools/pymodels/checkpoints.py)
// opened through loadModel: the graph is built in TypeScript from the safetensors files, hooked by
// the same rewrite as any export, and checked against the torch goldens (forward hooks):
// residuals, readouts and last logits for every intervention case, a left-padded batch, greedy
// tokens through the KV cache. The llama-gqa checkpoint holds the weights of the ONNX fixture of
// the same name: both paths must give the same residuals.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import { assertClose, axesOf, checkGoldenCase, FIXTURES, golden, type Golden } from './engine-fixtures';

const CHECKPOINTS = join(__dirname, '..', 'fixtures', 'checkpoints');
const REL = 1e-4;
const cacheDir = mkdtempSync(join(tmpdir(), 'rl-ckpt-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const goldenOf = (name: string): Golden => golden(join('..', 'checkpoints', name));

for (const name of ['llama3', 'qwen2-bf16-tied', 'qwen3-sharded', 'mistral-fp16', 'gemma2', 'phi3', 'olmo2', 'granite', 'gemma3']) {
  describe(`checkpoint golden: ${name}`, () => {
    const g = goldenOf(name);
    const axes = axesOf(g);
    let model: LensModel;
    before(async () => {
      model = await loadModel(join(CHECKPOINTS, name), { threads: 1, cacheDir });
    });
    after(() => model?.dispose());

    it('summary matches config and golden shapes', () => {
      assert.equal(model.summary.layers, g.layers);
      assert.equal(model.summary.dModel, g.d_model);
      assert.equal(model.summary.vocabSize, g.vocab_size);
    });

    for (const [caseName, c] of Object.entries(g.cases)) {
      it(`${caseName}: residuals, readouts (left-padded batch) and last logits`, async () => {
        await checkGoldenCase(model, g, c, axes, REL);
      });
    }

    for (const [caseName, expected] of [['none', g.greedy.none], ['steer_A_l12', g.greedy.steer_A_l12]] as const) {
      it(`greedy tokens through the KV cache equal torch (${caseName})`, async () => {
        const r = await model.trace({
          prompt: { kind: 'tokens', tokenIds: g.greedy.prompt_ids },
          axes,
          interventions: g.cases[caseName]?.interventions ?? [],
          decoding: { maxNewTokens: g.greedy.n, stopAtEos: false },
        });
        assert.deepEqual(r.tokens.filter((t) => t.generated).map((t) => t.id), expected);
      });
    }
  });
}

describe('checkpoint vs ONNX export of the same weights (llama-gqa)', () => {
  let ckpt: LensModel;
  let onnx: LensModel;
  before(async () => {
    ckpt = await loadModel(join(CHECKPOINTS, 'llama-gqa'), { threads: 1, cacheDir });
    onnx = await loadModel(join(FIXTURES, 'llama-gqa'), { threads: 1 });
  });
  after(async () => {
    await ckpt?.dispose();
    await onnx?.dispose();
  });

  it('gives the residuals of the ONNX path and of its torch golden', async () => {
    const g = golden('llama-gqa');
    const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
    const [a, b] = [await ckpt.residuals(prompt), await onnx.residuals(prompt)];
    a.forEach((r, l) => {
      assertClose(r, b[l]!, REL, `layer ${l} vs ONNX`);
      assertClose(r, g.cases['none']!.resid[l]!.flat(), REL, `layer ${l} vs torch`);
    });
    const [x, y] = [await ckpt.generateIds([g.prompt_ids], { maxNewTokens: 8, stopAtEos: false }), await onnx.generateIds([g.prompt_ids], { maxNewTokens: 8, stopAtEos: false })];
    assert.deepEqual(x.rows[0]!.generated, y.rows[0]!.generated);
    assert.deepEqual(x.rows[0]!.generated, g.greedy.none);
  });
});

describe('checkpoint build folder', () => {
  it('an F32 checkpoint is read in place (hard link, no data file) and a second open uses the cache', async () => {
    const work = mkdtempSync(join(tmpdir(), 'rl-ckpt-place-'));
    try {
      const folder = join(work, 'llama3');
      cpSync(join(CHECKPOINTS, 'llama3'), folder, { recursive: true });
      const m1 = await loadModel(folder, { threads: 1 });
      await m1.dispose();
      // no cacheDir and a writable folder: the build goes inside it
      const builds = readdirSync(join(folder, '.refusal-lens'));
      assert.equal(builds.length, 1);
      const dir = join(folder, '.refusal-lens', builds[0]!);
      assert.ok(existsSync(join(dir, 'build.json')));
      assert.ok(!existsSync(join(dir, 'weights.f32.data')), 'fp32 weights must not be converted');
      assert.equal(statSync(join(dir, 'model.safetensors')).ino, statSync(join(folder, 'model.safetensors')).ino);
      const before = statSync(join(dir, 'model.onnx')).mtimeMs;
      const m2 = await loadModel(folder, { threads: 1 });
      await m2.dispose();
      assert.equal(statSync(join(dir, 'model.onnx')).mtimeMs, before, 'rebuilt instead of cached');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
