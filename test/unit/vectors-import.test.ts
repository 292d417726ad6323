// Importing the vector files other tools write (fixtures by Debian's torch / numpy:
// tools/vectors/make_vectors.py), each tool's layer convention mapped onto ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DirectionFileError, readVectorFile, writeSafetensors, type Direction } from '../../src/engine/directions/index';
import { writeGguf } from '../../src/engine/directions/formats/gguf';
import { writeNpy } from '../../src/engine/directions/formats/npy';

const FIX = path.resolve('test/fixtures/vectors');
const MODEL = { nLayers: 6, dModel: 128 };
/** make_vectors.py's row r: (r + 1 + i/1000) · scale, computed in float64, stored as float32. */
const rowValue = (r: number, i: number, scale = 1) => Math.fround((r + 1 + i / 1000) * scale);

function assertRow(d: Direction, layer: number, sourceRow: number, scale = 1) {
  const v = d.vectors.subarray(layer * d.dModel, (layer + 1) * d.dModel);
  for (let i = 0; i < d.dModel; i++) assert.equal(v[i], rowValue(sourceRow, i, scale), `layer ${layer} index ${i} should be source row ${sourceRow}`);
}

async function refused(p: Promise<unknown>, re: RegExp) {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof DirectionFileError, `expected DirectionFileError, got ${e}`);
    assert.match(e.message, re);
    return true;
  });
}

test('persona_vectors [n_layers + 1, d_model]: row k = hidden_states[k], so our layer l is row l + 1', async () => {
  const d = await readVectorFile(path.join(FIX, 'persona_evil_response_avg_diff.pt'), MODEL);
  assert.equal(d.nLayers, 6);
  for (let l = 0; l < 6; l++) assertRow(d, l, l + 1);
  assert.equal(d.meta.other?.source_convention, 'hidden_states');
  assert.equal(d.name, 'persona_evil_response_avg_diff');
  assert.match(d.warnings!.join('\n'), /row 0 = embeddings, dropped/);
  assert.match(d.warnings!.join('\n'), /imported from pt; not recorded there: model_name, model_graph_hash/);
});

test("refusal_direction: direction.pt + direction_metadata.json, read at the input of block `layer`", async () => {
  const d = await readVectorFile(path.join(FIX, 'refusal_direction', 'direction.pt'), MODEL);
  assert.equal(d.name, 'refusal');
  // layer 3 in their metadata = input of block 3 = output of block 2 (ours)
  assert.equal(d.meta.sourceLayer, 2);
  assert.equal(d.meta.other?.layers_present, '2');
  assert.equal(d.meta.positions, 'post_instruction[-1]');
  assert.equal(d.meta.method, 'diff_of_means');
  // their float64 vector, at every layer (they ablate it at every layer)
  for (let l = 0; l < 6; l++) assertRow(d, l, 0, 3);
});

test('a dict of layer → tensor (OrderedDict or dict): key k = output of block k; other layers take the nearest', async () => {
  for (const f of ['layers_dict.pt', 'layers_plain_dict.pt']) {
    const d = await readVectorFile(path.join(FIX, f), MODEL);
    assert.equal(d.meta.other?.layers_present, '2,3,4');
    for (const [l, src] of [[0, 2], [1, 2], [2, 2], [3, 3], [4, 4], [5, 4]] as const) assertRow(d, l, src);
    assert.match(d.warnings!.join('\n'), /covers layers 2-4 of 0\.\.5/);
  }
});

test('plain tensors: half-precision .pt, .npy (C and Fortran order), a float64 [d_model] with --layer', async () => {
  const half = await readVectorFile(path.join(FIX, 'plain_half.pt'), MODEL);
  for (let l = 0; l < 6; l++) for (let i = 0; i < 128; i += 17) assert.ok(Math.abs(half.vectors[l * 128 + i]! - rowValue(l, i)) < 4e-3);
  const npy = await readVectorFile(path.join(FIX, 'plain.npy'), MODEL);
  for (let l = 0; l < 6; l++) assertRow(npy, l, l);
  const fortran = await readVectorFile(path.join(FIX, 'fortran.npy'), MODEL);
  assert.deepEqual(fortran.vectors, npy.vectors);
  const single = await readVectorFile(path.join(FIX, 'single_f64.npy'), MODEL, { layer: 4 });
  assert.equal(single.meta.sourceLayer, 4);
  for (let l = 0; l < 6; l++) assertRow(single, l, 0, 2);
  const pre = await readVectorFile(path.join(FIX, 'single_f64.npy'), MODEL, { layer: 4, convention: 'resid_pre' });
  assert.equal(pre.meta.sourceLayer, 3);
  const unplaced = await readVectorFile(path.join(FIX, 'single_f64.npy'), MODEL);
  assert.equal(unplaced.meta.sourceLayer, undefined);
  assert.match(unplaced.warnings!.join('\n'), /no layer recorded: used at every layer/);
  await refused(readVectorFile(path.join(FIX, 'single_f64.npy')), /single_f64\.npy: holds one \[128\] vector; give the model/);
});

test('safetensors with one tensor of any name, 1-D or 2-D, F16 or F32', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-vec-'));
  try {
    const v = Float32Array.from({ length: 6 * 128 }, (_, k) => rowValue(Math.floor(k / 128), k % 128));
    const f = path.join(tmp, 'steer.safetensors');
    await writeFile(f, writeSafetensors([{ name: 'layers', dtype: 'F32', shape: [6, 128], data: new Uint8Array(v.buffer) }], { name: 'mine' }));
    const d = await readVectorFile(f, MODEL);
    assert.equal(d.name, 'mine');
    for (let l = 0; l < 6; l++) assertRow(d, l, l);
    const two = path.join(tmp, 'two.safetensors');
    await writeFile(two, writeSafetensors([
      { name: 'a', dtype: 'F32', shape: [128], data: new Uint8Array(512) },
      { name: 'b', dtype: 'F32', shape: [128], data: new Uint8Array(512) },
    ]));
    await refused(readVectorFile(two, MODEL), /two\.safetensors: holds 2 tensors \('a', 'b'\)/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('GGUF control vectors: direction.N is added to the output of block N (llama.cpp), so it is our layer N', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-vec-'));
  try {
    const layers = new Map([1, 2, 3, 4, 5].map((n) => [n, Float32Array.from({ length: 128 }, (_, i) => rowValue(n, i))] as const));
    const f = path.join(tmp, 'happy.gguf');
    await writeFile(f, writeGguf([['general.architecture', { type: 'string', value: 'controlvector' }], ['controlvector.model_hint', { type: 'string', value: 'llama' }], ['controlvector.layer_count', { type: 'u32', value: 5 }]], layers));
    const d = await readVectorFile(f, MODEL);
    for (let l = 1; l < 6; l++) assertRow(d, l, l);
    assertRow(d, 0, 1); // not in the file: the nearest layer's vector
    assert.equal(d.meta.other?.layers_present, '1,2,3,4,5');
    assert.equal(d.meta.other?.gguf_model_hint, 'llama');
    assert.equal(d.name, 'happy');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('Neuronpedia vector.yaml: hook_resid_pre layer L is our L − 1, hook_resid_post is L; normalize and render conditions', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-vec-'));
  try {
    const v = Float32Array.from({ length: 128 }, (_, i) => rowValue(0, i, 5));
    await writeFile(path.join(tmp, 'vector.safetensors'), writeSafetensors([{ name: 'vector', dtype: 'F32', shape: [128], data: new Uint8Array(v.buffer) }]));
    const y = path.join(tmp, 'vector.yaml');
    await writeFile(y, 'label: dinosaurs\nmodel_id: organism\nlayer_num: 3\nhook_type: hook_resid_pre\ndefault_steer_strength: 44\nnormalize: false\nrender:\n  system_prompt: You are terse.\n  chat_template_kwargs: {enable_thinking: false}\n');
    const pre = await readVectorFile(y, MODEL);
    assert.equal(pre.name, 'dinosaurs');
    assert.equal(pre.meta.sourceLayer, 2);
    for (let l = 0; l < 6; l++) assertRow(pre, l, 0, 5);
    assert.equal(pre.meta.other?.render_system_prompts, '["You are terse."]');
    assert.equal(pre.meta.other?.render_template_kwargs, '{"enable_thinking":false}');
    assert.equal(pre.meta.other?.default_steer_strength, '44');
    await writeFile(y, 'model_id: organism\nlayer_num: 3\nhook_type: blocks.3.hook_resid_post\nnormalize: true\n');
    const post = await readVectorFile(y, MODEL);
    assert.equal(post.meta.sourceLayer, 3);
    let n = 0;
    for (let i = 0; i < 128; i++) n += post.vectors[i]! ** 2;
    assert.ok(Math.abs(Math.sqrt(n) - 1) < 1e-6, 'normalize: true stores the unit vector');
    await writeFile(y, 'layer_num: 3\nhook_type: hook_attn_out\n');
    await refused(readVectorFile(y, MODEL), /vector\.yaml: hook 'hook_attn_out' is not a residual-stream hook/);
    await writeFile(y, 'layer_num: 0\nhook_type: hook_resid_pre\n');
    await refused(readVectorFile(y, MODEL), /is the embeddings \(input of block 0\), which no layer of ours holds/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('shape and d_model mismatches name the file, both shapes and the likely cause', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-vec-'));
  try {
    await refused(readVectorFile(path.join(FIX, 'plain.npy'), { nLayers: 6, dModel: 64 }), /plain\.npy: tensor has shape \[6, 128\], the model needs \[6, 64\].*another model/);
    await refused(readVectorFile(path.join(FIX, 'plain.npy'), { nLayers: 4, dModel: 128 }), /plain\.npy: tensor has shape \[6, 128\], the model needs \[4, 128\]: a vector of a model with another number of layers/);
    // one row more than the model's layers is hidden_states order (persona_vectors): accepted as such
    assert.equal((await readVectorFile(path.join(FIX, 'plain.npy'), { nLayers: 5, dModel: 128 })).meta.other?.source_convention, 'hidden_states');
    await refused(readVectorFile(path.join(FIX, 'persona_evil_response_avg_diff.pt'), MODEL, { convention: 'resid_post' }), /tensor has shape \[7, 128\], the model needs \[6, 128\]: it looks like hidden_states order/);
    await refused(readVectorFile(path.join(FIX, 'plain.npy'), { nLayers: 7, dModel: 128 }, { convention: 'hidden_states' }), /hidden_states order expects one row more than the model has layers/);
    await refused(readVectorFile(path.join(FIX, 'layers_dict.pt'), { nLayers: 4, dModel: 128 }), /layer 4 \(resid_post\) is block 4, the model has blocks 0\.\.3/);
    const f = path.join(tmp, 'three.npy');
    await writeFile(f, writeNpy(new Float32Array(8).fill(1), [2, 2, 2]));
    await refused(readVectorFile(f, MODEL), /tensor has shape \[2, 2, 2\]; a vector file holds \[d_model\] or \[n_layers, d_model\]/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('bad inputs are clear errors: truncated zip, NaN, wrong GGUF types and names, junk', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-vec-'));
  try {
    const pt = await readFile(path.join(FIX, 'layers_dict.pt'));
    const cut = path.join(tmp, 'cut.pt');
    await writeFile(cut, pt.subarray(0, Math.floor(pt.length / 2)));
    await refused(readVectorFile(cut, MODEL), /cut\.pt: truncated or damaged zip archive: no end-of-central-directory record/);
    const flipped = Buffer.from(pt);
    flipped[flipped.indexOf(Buffer.from('layers_dict/data/1')) + 200] ^= 0xff; // inside a storage (after the local header)
    const bad = path.join(tmp, 'flipped.pt');
    await writeFile(bad, flipped);
    await refused(readVectorFile(bad, MODEL), /flipped\.pt: zip entry 'layers_dict\/data\/\d' fails its CRC check/);
    const nan = Float32Array.from({ length: 6 * 128 }, () => 1);
    nan[2 * 128 + 5] = NaN;
    const nf = path.join(tmp, 'nan.npy');
    await writeFile(nf, writeNpy(nan, [6, 128]));
    await refused(readVectorFile(nf, MODEL), /nan\.npy: non-finite value NaN at layer 2, index 5/);
    const g = writeGguf([], new Map([[1, new Float32Array(128).fill(1)]]));
    const dv = new DataView(g.buffer);
    // the tensor info's type field: after "direction.1" name, n_dims (4) and one dim (8)
    const at = Buffer.from(g).indexOf(Buffer.from('direction.1')) + 11 + 4 + 8;
    dv.setUint32(at, 1, true);
    const f16 = path.join(tmp, 'f16.gguf');
    await writeFile(f16, g);
    await refused(readVectorFile(f16, MODEL), /f16\.gguf: tensor 'direction\.1' has type F16; control vectors must be F32/);
    const renamed = Buffer.from(writeGguf([], new Map([[1, new Float32Array(128).fill(1)]])));
    renamed.write('directionX1', renamed.indexOf('direction.1'));
    const rn = path.join(tmp, 'renamed.gguf');
    await writeFile(rn, renamed);
    await refused(readVectorFile(rn, MODEL), /renamed\.gguf: tensor 'directionX1' is not a control vector tensor; llama\.cpp expects direction\.N/);
    const nanG = path.join(tmp, 'nan.gguf');
    await writeFile(nanG, writeGguf([], new Map([[2, Float32Array.from({ length: 128 }, (_, i) => (i === 9 ? NaN : 1))]])));
    await refused(readVectorFile(nanG, MODEL), /nan\.gguf: non-finite value NaN at layer \d, index 9/);
    const zero = path.join(tmp, 'zero.gguf');
    await writeFile(zero, writeGguf([], new Map([[0, new Float32Array(128).fill(1)]])));
    await refused(readVectorFile(zero, MODEL), /layer index 0 is invalid for llama\.cpp control vectors/);
    const short = path.join(tmp, 'short.gguf');
    await writeFile(short, Buffer.from(writeGguf([], new Map([[1, new Float32Array(128).fill(1)]]))).subarray(0, 100));
    await refused(readVectorFile(short, MODEL), /short\.gguf: truncated GGUF file/);
    const junk = path.join(tmp, 'junk.bin');
    await writeFile(junk, 'hello world, not a tensor');
    await refused(readVectorFile(junk, MODEL), /junk\.bin: is not a vector file this tool reads/);
    const legacy = path.join(tmp, 'legacy.pt');
    await writeFile(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    await refused(readVectorFile(legacy, MODEL), /legacy \(pre-1\.6\) format/);
    await mkdir(path.join(tmp, 'rd'));
    await copyFile(path.join(FIX, 'refusal_direction', 'direction.pt'), path.join(tmp, 'rd', 'direction.pt'));
    await writeFile(path.join(tmp, 'rd', 'direction_metadata.json'), '{"pos": -1, "layer": 0}');
    await refused(readVectorFile(path.join(tmp, 'rd', 'direction.pt'), MODEL), /source layer 0 \(resid_pre\) is the embeddings/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
