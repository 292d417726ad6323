// config.json / generation_config.json normalisation, JSON error locations, dtype variant choice.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readModelConfig } from '../../src/engine/model/config';
import { availableGraphs, checkDtype, selectGraph } from '../../src/engine/model/files';
import { parseJson } from '../../src/engine/model/json';

const root = mkdtempSync(join(tmpdir(), 'rl-model-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function folder(files: Record<string, string | object>): string {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  }
  return dir;
}

const llama = {
  model_type: 'llama', num_hidden_layers: 4, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2,
  max_position_embeddings: 512, vocab_size: 300, eos_token_id: 2, bos_token_id: 1,
};

describe('readModelConfig', () => {
  it('reads llama keys and derives head_dim', () => {
    const c = readModelConfig(folder({ 'config.json': llama }));
    assert.deepEqual(
      [c.modelType, c.numLayers, c.dModel, c.numHeads, c.numKvHeads, c.headDim, c.maxPositions, c.vocabSize, c.eosIds, c.bosId],
      ['llama', 4, 64, 4, 2, 16, 512, 300, [2], 1],
    );
  });

  it('reads gpt2 keys; kv heads default to heads', () => {
    const c = readModelConfig(folder({ 'config.json': { model_type: 'gpt2', n_layer: 3, n_embd: 48, n_head: 6, n_positions: 128, vocab_size: 99, eos_token_id: 98 } }));
    assert.deepEqual([c.numLayers, c.dModel, c.numHeads, c.numKvHeads, c.headDim, c.maxPositions], [3, 48, 6, 6, 8, 128]);
  });

  it('takes an explicit head_dim (gemma) and the EOS list of generation_config.json over config.json', () => {
    const c = readModelConfig(folder({
      'config.json': { ...llama, model_type: 'gemma', head_dim: 32 },
      'generation_config.json': { eos_token_id: [5, 7], pad_token_id: 0 },
    }));
    assert.equal(c.headDim, 32);
    assert.deepEqual(c.eosIds, [5, 7]);
    assert.equal(c.padId, 0);
  });

  it('reads the text_config of a multimodal wrapper', () => {
    const c = readModelConfig(folder({ 'config.json': { model_type: 'gemma3', text_config: llama } }));
    assert.equal(c.modelType, 'gemma3');
    assert.equal(c.numLayers, 4);
  });

  it('names the missing field and the file', () => {
    const { num_hidden_layers: _drop, ...rest } = llama;
    const dir = folder({ 'config.json': rest });
    assert.throws(() => readModelConfig(dir), (e: Error) => {
      assert.match(e.message, /config\.json: missing field "num_hidden_layers" \(or "n_layer"/);
      assert.ok(e.message.includes(join(dir, 'config.json')));
      return true;
    });
  });

  it('rejects a non-integer field with its name', () => {
    assert.throws(() => readModelConfig(folder({ 'config.json': { ...llama, hidden_size: '64' } })), /field "hidden_size" must be a positive integer, got "64"/);
  });

  it('reports corrupt JSON with file, line and column', () => {
    const dir = folder({ 'config.json': '{\n  "num_hidden_layers": 4,\n  "hidden_size": 64,,\n}' });
    assert.throws(() => readModelConfig(dir), (e: Error) => {
      assert.ok(e.message.startsWith(`${join(dir, 'config.json')}:3:`), e.message);
      assert.match(e.message, /invalid JSON/);
      return true;
    });
  });

  it('says when config.json is missing', () => {
    assert.throws(() => readModelConfig(folder({})), /config\.json not found/);
  });

  it('rejects an EOS id outside the vocabulary', () => {
    assert.throws(() => readModelConfig(folder({ 'config.json': llama, 'generation_config.json': { eos_token_id: 300 } })), /eos_token_id 300 is outside the vocabulary \(vocab_size 300\)/);
  });
});

describe('parseJson', () => {
  it('locates an unexpected end of input on the last line', () => {
    assert.throws(() => parseJson('{\n"a": 1,\n"b": [', 'x.json'), /^Error: x\.json:3:\d+: invalid JSON/);
  });
});

describe('graph variants', () => {
  it('chooses the dtype file and lists the available ones when the asked one is missing', () => {
    const dir = folder({ 'onnx/model.onnx': 'x', 'onnx/model_fp16.onnx': 'x' });
    assert.deepEqual([...availableGraphs(dir).keys()], ['fp32', 'fp16']);
    assert.equal(selectGraph(dir, 'fp16').path, join(dir, 'onnx', 'model_fp16.onnx'));
    assert.throws(() => selectGraph(dir, 'q4f16'), (e: Error) => {
      assert.match(e.message, /no q4f16 graph \(expected onnx\/model_q4f16\.onnx\)/);
      assert.match(e.message, /available: fp32 \(onnx\/model\.onnx\), fp16 \(onnx\/model_fp16\.onnx\)/);
      return true;
    });
  });

  it('accepts a graph at the folder root', () => {
    const dir = folder({ 'model.onnx': 'x' });
    assert.equal(selectGraph(dir, 'fp32').path, join(dir, 'model.onnx'));
  });

  it('rejects an unknown dtype with the list of supported ones', () => {
    assert.throws(() => checkDtype('int3'), /unsupported dtype "int3": use one of fp32, fp16, q4, q4f16, quantized/);
  });

  it('names the older split-decoder layout instead of saying no graph was found', () => {
    const dir = folder({ 'onnx/decoder_model_merged.onnx': 'x', 'onnx/decoder_model_merged_quantized.onnx': 'x' });
    assert.throws(() => selectGraph(dir, 'fp32'), (e: Error) => {
      assert.match(e.message, /no fp32 graph \(expected onnx\/model\.onnx\); it has onnx\/decoder_model_merged\.onnx, the older split-decoder export/);
      assert.match(e.message, /use a single-graph export with past_key_values inputs/);
      return true;
    });
  });

  it('says when there is no graph at all', () => {
    assert.throws(() => selectGraph(folder({ 'config.json': llama }), 'fp32'), /no ONNX graph found/);
  });
});
