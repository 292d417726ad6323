// Exports other tools read: .pt that Debian's torch.load reads, .npy numpy reads, GGUF checked by an
// independent reader written from the GGUF spec (tools/vectors/gguf_check.py) and by the Hub's
// @huggingface/gguf, Neuronpedia
// vector.yaml + safetensors; and import → export → import is bit-exact for every format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exportDirection, readVectorFile, renderToStrings, writeDirection, writeSafetensors, type Direction } from '../../src/engine/directions/index';
import { writeGguf } from '../../src/engine/directions/formats/gguf';

const FIX = path.resolve('test/fixtures/vectors');
const MODEL = { nLayers: 6, dModel: 128 };
const PY = '/usr/bin/python3';
// Debian's python3-torch and python3-numpy (checked by path: importing torch takes seconds).
const hasTorch = existsSync(PY) && ['torch', 'numpy'].every((m) => existsSync(`/usr/lib/python3/dist-packages/${m}`));

const hex = (v: Float32Array) => Array.from(v, (x) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return b.toString('hex');
});

function sameVectors(a: Direction, b: Direction) {
  assert.equal(a.nLayers, b.nLayers);
  assert.equal(a.dModel, b.dModel);
  assert.deepEqual(hex(a.vectors), hex(b.vectors), 'bit-exact');
}

async function withTmp(fn: (tmp: string) => Promise<void>) {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-exp-'));
  try {
    await fn(tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

test('round trip import → export → import is bit-exact: pt, npy, safetensors', () =>
  withTmp(async (tmp) => {
    const first = await readVectorFile(path.join(FIX, 'persona_evil_response_avg_diff.pt'), MODEL);
    for (const to of ['pt', 'npy'] as const) {
      const out = path.join(tmp, `evil.${to}`);
      exportDirection(first, to, out);
      sameVectors(first, await readVectorFile(out, MODEL));
    }
    // persona_vectors' own layout back: [n_layers + 1, d_model], row 0 zeros, read again as hidden_states
    const hs = path.join(tmp, 'evil-hs.pt');
    exportDirection(first, 'pt', hs, { layout: 'hidden_states' });
    const back1 = await readVectorFile(hs, MODEL);
    assert.equal(back1.meta.other?.source_convention, 'hidden_states');
    sameVectors(first, back1);
    const ours = path.join(tmp, 'evil.safetensors');
    await writeDirection(ours, first);
    const back = await readVectorFile(ours, MODEL);
    sameVectors(first, back);
    assert.equal(back.meta.other?.source_convention, 'hidden_states', 'where it came from is kept');
  }));

test('GGUF: round trip bit-exact; an independent GGUF reader sees direction.N F32 tensors and the controlvector keys', () =>
  withTmp(async (tmp) => {
    const layers = new Map([1, 2, 3, 4, 5].map((n) => [n, Float32Array.from({ length: 128 }, (_, i) => Math.fround(n + i / 977))] as const));
    const src = path.join(tmp, 'calm.gguf');
    await writeFile(src, writeGguf([['general.architecture', { type: 'string', value: 'controlvector' }], ['controlvector.model_hint', { type: 'string', value: 'llama' }], ['controlvector.layer_count', { type: 'u32', value: 5 }]], layers));
    const first = await readVectorFile(src, MODEL);
    const out = path.join(tmp, 'calm-again.gguf');
    const res = exportDirection(first, 'gguf', out);
    assert.match(res.warnings.join('\n'), /wrote direction\.1-5/);
    const again = await readVectorFile(out, MODEL);
    sameVectors(first, again);
    assert.equal(again.meta.other?.layers_present, '1,2,3,4,5');
    if (!existsSync(PY)) return;
    const g = JSON.parse(execFileSync(PY, [path.resolve('tools/vectors/gguf_check.py'), out], { encoding: 'utf8' }));
    assert.equal(g.version, 3);
    assert.equal(g.kv['general.architecture'], 'controlvector');
    assert.equal(g.kv['controlvector.layer_count'], 5);
    assert.deepEqual(Object.keys(g.tensors), ['direction.1', 'direction.2', 'direction.3', 'direction.4', 'direction.5']);
    for (let n = 1; n <= 5; n++) {
      assert.deepEqual(g.tensors[`direction.${n}`].dims, [128]);
      assert.deepEqual(g.tensors[`direction.${n}`].values, hex(layers.get(n)!));
    }
  }));

test('GGUF export of a full direction: direction.N = our layer N; layer 0 is left out and said so', () =>
  withTmp(async (tmp) => {
    const d = await readVectorFile(path.join(FIX, 'plain.npy'), MODEL);
    const out = path.join(tmp, 'plain.gguf');
    const res = exportDirection(d, 'gguf', out);
    assert.match(res.warnings.join('\n'), /layer 0 is not exported: llama\.cpp control vectors start at layer 1/);
    if (!existsSync(PY)) return;
    const g = JSON.parse(execFileSync(PY, [path.resolve('tools/vectors/gguf_check.py'), out], { encoding: 'utf8' }));
    for (let n = 1; n < 6; n++) assert.deepEqual(g.tensors[`direction.${n}`].values, hex(d.vectors.subarray(n * 128, (n + 1) * 128)));
    assert.equal(JSON.parse(g.kv['refusal_lens.meta']).name, 'plain');
  }));

test('GGUF export read by @huggingface/gguf (the Hub\'s parser): version 3, controlvector keys, direction.N F32 [d_model] at valid offsets', () =>
  withTmp(async (tmp) => {
    const { gguf, GGMLQuantizationType } = await import('@huggingface/gguf');
    const d = await readVectorFile(path.join(FIX, 'plain.npy'), MODEL);
    const out = path.join(tmp, 'plain.gguf');
    exportDirection(d, 'gguf', out);
    const { metadata, tensorInfos, tensorDataOffset } = await gguf(out, { allowLocalFile: true });
    assert.equal(metadata.version, 3);
    assert.equal(metadata['general.architecture'], 'controlvector');
    assert.equal(Number(metadata['controlvector.layer_count']), 5);
    assert.deepEqual(tensorInfos.map((t) => t.name), ['direction.1', 'direction.2', 'direction.3', 'direction.4', 'direction.5']);
    const bytes = await readFile(out);
    for (const t of tensorInfos) {
      assert.equal(t.dtype, GGMLQuantizationType.F32);
      assert.deepEqual(t.shape.map(Number), [128]);
      // The data the parser points at is our layer N, bit for bit.
      const n = Number(t.name.split('.')[1]);
      const at = Number(tensorDataOffset + t.offset);
      assert.deepEqual(hex(new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + 128 * 4))), hex(d.vectors.subarray(n * 128, (n + 1) * 128)));
    }
  }));

test('Neuronpedia: round trip bit-exact with layer, strength and render conditions', () =>
  withTmp(async (tmp) => {
    const v = Float32Array.from({ length: 128 }, (_, i) => Math.fround(Math.sin(i) * 3));
    await writeFile(path.join(tmp, 'vector.safetensors'), writeSafetensors([{ name: 'vector', dtype: 'F32', shape: [128], data: new Uint8Array(v.buffer) }]));
    await writeFile(path.join(tmp, 'vector.yaml'), 'label: calm\nlayer_num: 4\nhook_type: hook_resid_pre\ndefault_steer_strength: 8\nsystem_prompt: Be calm.\n');
    const first = await readVectorFile(path.join(tmp, 'vector.yaml'), MODEL);
    assert.equal(first.meta.sourceLayer, 3);
    const out = path.join(tmp, 'exported');
    exportDirection(first, 'neuronpedia', out);
    const again = await readVectorFile(path.join(out, 'vector.yaml'), MODEL);
    sameVectors(first, again);
    assert.equal(again.meta.sourceLayer, 3, 'exported as hook_resid_post at our layer 3');
    assert.equal(again.meta.other?.default_steer_strength, '8');
    assert.equal(again.meta.other?.render_system_prompts, '["Be calm."]');
    assert.equal(again.name, 'calm');
  }));

test("our .pt is read by Debian's torch.load and our .npy by numpy, value for value", { skip: !hasTorch && 'needs /usr/bin/python3 with torch and numpy' }, () =>
  withTmp(async (tmp) => {
    const d = await readVectorFile(path.join(FIX, 'layers_dict.pt'), MODEL);
    d.meta.other = { ...d.meta.other, ...renderToStrings({ systemPrompts: ['x'] }) };
    exportDirection(d, 'pt', path.join(tmp, 'v.pt'));
    exportDirection(d, 'npy', path.join(tmp, 'v.npy'));
    const py = `
import json, struct, sys, numpy, torch
t = torch.load(sys.argv[1])
a = numpy.load(sys.argv[2])
print(json.dumps({'pt': [list(t.shape), str(t.dtype), t.is_contiguous(), [struct.pack('<f', x).hex() for x in t.flatten().tolist()]],
                  'npy': [list(a.shape), str(a.dtype), [struct.pack('<f', x).hex() for x in a.flatten().tolist()]]}))`;
    const r = JSON.parse(execFileSync(PY, ['-c', py, path.join(tmp, 'v.pt'), path.join(tmp, 'v.npy')], { encoding: 'utf8' }));
    assert.deepEqual(r.pt.slice(0, 3), [[6, 128], 'torch.float32', true]);
    assert.deepEqual(r.pt[3], hex(d.vectors));
    assert.deepEqual(r.npy.slice(0, 2), [[6, 128], 'float32']);
    assert.deepEqual(r.npy[2], hex(d.vectors));
  }));
