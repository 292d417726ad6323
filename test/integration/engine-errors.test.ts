// Bad inputs through the library API: each gives a message that says what and where.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel } from '../../src/engine/index';
import { int64Tensor, run } from '../../src/engine/runtime';
import { axesOf, FIXTURES, golden } from './engine-fixtures';

const g = golden('llama-gqa');
const tmp = mkdtempSync(join(tmpdir(), 'rl-engine-err-'));
let n = 0;
function copyOf(name: string): string {
  const dir = join(tmp, `${name}-${n++}`);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

describe('bad model folders', () => {
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a missing folder', async () => {
    await assert.rejects(loadModel(join(tmp, 'nope')), /model folder not found: .*nope/);
  });

  it('a missing tokenizer.json', async () => {
    const dir = copyOf('llama-tied');
    unlinkSync(join(dir, 'tokenizer.json'));
    await assert.rejects(loadModel(dir), (e: Error) => e.message.includes(`tokenizer.json not found (${join(dir, 'tokenizer.json')})`));
  });

  it('a corrupt config.json, with file and line', async () => {
    const dir = copyOf('llama-tied');
    writeFileSync(join(dir, 'config.json'), '{\n  "model_type": "llama",\n  "hidden_size": 32\n  "vocab_size": 316\n}');
    await assert.rejects(loadModel(dir), (e: Error) => e.message.startsWith(`${join(dir, 'config.json')}:4:`) && /invalid JSON/.test(e.message));
  });

  it('a config.json without the layer count', async () => {
    const dir = copyOf('llama-tied');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ hidden_size: 32, num_attention_heads: 4, max_position_embeddings: 512, vocab_size: 316 }));
    await assert.rejects(loadModel(dir), /config\.json: missing field "num_hidden_layers"/);
  });

  it('a dtype variant that is not there lists the available ones; an unknown dtype lists the supported ones', async () => {
    await assert.rejects(loadModel(join(FIXTURES, 'llama-tied'), { dtype: 'fp16' }), /no fp16 graph \(expected onnx\/model_fp16\.onnx\); available: fp32 \(onnx\/model\.onnx\)/);
    await assert.rejects(loadModel(join(FIXTURES, 'llama-gqa'), { dtype: 'int3' }), /unsupported dtype "int3": use one of fp32, fp16, q8, q4, q4f16, quantized/);
    // q8 is a checkpoint build dtype: on an export it names the export's 8-bit variant
    await assert.rejects(loadModel(join(FIXTURES, 'llama-gqa'), { dtype: 'q8' }), /"q8" is built from safetensors checkpoint folders only; an ONNX export's 8-bit variant is "quantized"/);
  });

  it('a graph without a residual chain says so', async () => {
    await assert.rejects(loadModel(copyOf('no-residual')), /residual/i);
  });
});

describe('bad requests', () => {
  let model: LensModel;
  const axes = axesOf(g);
  before(async () => {
    model = await loadModel(join(FIXTURES, 'llama-gqa'), { threads: 1 });
  });
  after(() => model?.dispose());

  it('a token id outside the vocabulary', async () => {
    await assert.rejects(
      model.trace({ prompt: { kind: 'tokens', tokenIds: [1, 2, g.vocab_size] }, axes: [], interventions: [], decoding: { maxNewTokens: 1 } }),
      new RegExp(`request\\.prompt\\.tokenIds: token id ${g.vocab_size} at index 2 is outside the vocabulary \\(valid ids: 0\\.\\.${g.vocab_size - 1}\\)`),
    );
  });

  it('a prompt too long for the context, with the numbers', async () => {
    const ids = new Array(510).fill(5);
    await assert.rejects(
      model.trace({ prompt: { kind: 'tokens', tokenIds: ids }, axes: [], interventions: [], decoding: { maxNewTokens: 8 } }),
      /510 prompt tokens \+ 8 new tokens = 518 exceeds the model's context of 512 tokens/,
    );
  });

  it('an unknown axis and a layer out of range in interventions', async () => {
    const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
    await assert.rejects(
      model.trace({ prompt, axes, interventions: [{ kind: 'steer', axis: 'refusal', coefficient: 1, layers: [1] }], decoding: { maxNewTokens: 1 } }),
      /interventions\[0\]: unknown axis "refusal" \(loaded: A, B\)/,
    );
    await assert.rejects(
      model.residuals(prompt, { axes, interventions: [{ kind: 'project_out', axes: ['A'], layers: [4] }] }),
      /layer 4 is out of range \(the model has layers 0\.\.3\)/,
    );
    await assert.rejects(model.residuals(prompt, { layers: [0, 9] }), /residuals: layers\[1\] = 9 is out of range \(0\.\.3\)/);
  });

  it('a session run with missing feeds lists every one, and unknown feeds', async () => {
    const session = model.loaded.hooked.session;
    const feeds = { input_ids: int64Tensor([1, 2], [1, 2]), bogus: int64Tensor([1], [1]) };
    await assert.rejects(run(session, feeds, ['logits'], 'llama-gqa'), (e: Error) => {
      assert.match(e.message, /^llama-gqa: cannot run: missing inputs: attention_mask, position_ids, past_key_values\.0\.key, /);
      assert.match(e.message, /rl\.add\.0, rl\.proj\.0, rl\.projT\.0, rl\.capU\.0, rl\.capUT\.0, rl\.capLo\.0, rl\.capHi\.0, rl\.axesT\.0/);
      assert.match(e.message, /unknown input: bogus/);
      return true;
    });
    await assert.rejects(run(session, {}, ['rl.nothing']), /unknown output: rl\.nothing/);
  });

  it('a chat message with a bad role', async () => {
    assert.throws(() => model.encode({ kind: 'chat', messages: [{ role: 'robot' as never, content: 'x' }] }), /messages\[0\]\.role must be system, user or assistant/);
  });
});
