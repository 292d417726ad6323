import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import {
  DirectionFileError, cosinePerLayer, layerVector, metaToStrings, norm, orthonormalBasis, parseDirection,
  randomControl, readDirection, readSafetensors, serializeDirection, unit, writeDirection, writeSafetensors,
  type Direction,
} from '../../src/engine/directions/index';

function makeDir(nLayers: number, dModel: number, fill = (l: number, i: number) => Math.sin(l * 7 + i) + 0.1 * l): Direction {
  const vectors = new Float32Array(nLayers * dModel);
  for (let l = 0; l < nLayers; l++) for (let i = 0; i < dModel; i++) vectors[l * dModel + i] = fill(l, i);
  return {
    name: 'refusal',
    vectors,
    nLayers,
    dModel,
    meta: {
      name: 'refusal', modelName: 'organism', modelGraphHash: 'ab'.repeat(32), hook: 'resid_post', layerBase: 0,
      method: 'diff_of_means', positions: 'last', nPos: 32, nNeg: 30, created: '2025-01-01T00:00:00Z', toolVersion: '0.1.0',
      sourceLayer: nLayers - 1, description: 'test axis', extra: { note: 'ok', k: [1, 2] },
    },
  };
}

/** Builds a direction file by hand, so error cases can be exact. */
function fileWith(opts: { shape?: number[]; dtype?: string; values?: Float32Array; meta?: Record<string, string> | null; tensor?: string }): Uint8Array {
  const shape = opts.shape ?? [2, 4];
  const values = opts.values ?? Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => i + 1);
  const meta = opts.meta === undefined ? metaToStrings(makeDir(2, 4).meta) : opts.meta ?? undefined;
  const data = new Uint8Array(values.buffer.slice(0));
  const dtype = opts.dtype ?? 'F32';
  const bytes = dtype === 'F16' ? data.subarray(0, data.length / 2) : data;
  return writeSafetensors([{ name: opts.tensor ?? 'direction', dtype, shape, data: bytes }], meta);
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DirectionFileError, `expected DirectionFileError, got ${e}`);
    return e.message;
  }
  assert.fail('expected an error');
}

test('write → read round trip keeps vectors, metadata and hashes the bytes', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-dir-'));
  try {
    const dir = makeDir(5, 12);
    dir.meta.other = { custom_key: 'kept' };
    const file = path.join(tmp, 'refusal.safetensors');
    const sha = await writeDirection(file, dir);
    const back = await readDirection(file, { nLayers: 5, dModel: 12, graphHash: 'ab'.repeat(32) });
    assert.deepEqual(Array.from(back.vectors), Array.from(dir.vectors));
    assert.equal(back.name, 'refusal');
    assert.deepEqual(back.meta, dir.meta);
    assert.deepEqual(back.warnings, []);
    const bytes = await readFile(file);
    assert.equal(back.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(sha, back.sha256);
    assert.equal(back.file, file);
    // the atomic write leaves no temp files behind
    assert.deepEqual(await readdir(tmp), ['refusal.safetensors']);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('file layout follows safetensors: u64 LE header size, 8-aligned JSON header, contiguous data', () => {
  const bytes = serializeDirection(makeDir(3, 5));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.direction, { dtype: 'F32', shape: [3, 5], data_offsets: [0, 60] });
  assert.equal(bytes.length, 8 + n + 60);
  assert.equal(header.__metadata__.layer_base, '0');
  assert.equal(header.__metadata__.hook, 'resid_post');
  for (const v of Object.values(header.__metadata__)) assert.equal(typeof v, 'string');
  // first value little-endian
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset + 8 + n).getFloat32(0, true), Math.fround(Math.sin(0) + 0));
});

test('reads a file with extra tensors and no padding, as other writers produce', () => {
  const dir = makeDir(2, 3);
  const header = JSON.stringify({
    __metadata__: metaToStrings(dir.meta),
    other: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
    direction: { dtype: 'F32', shape: [2, 3], data_offsets: [4, 28] },
  });
  const hb = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + hb.length + 28);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(hb.length), true);
  bytes.set(hb, 8);
  bytes.set(new Uint8Array(dir.vectors.buffer), 8 + hb.length + 4);
  const back = parseDirection(bytes, 'x.safetensors');
  assert.deepEqual(Array.from(back.vectors), Array.from(dir.vectors));
});

test('container errors name the file and what is wrong', () => {
  assert.match(errorOf(() => parseDirection(new Uint8Array(3), 'a.safetensors')), /^a\.safetensors: not a safetensors file: 3 bytes/);
  const text = new TextEncoder().encode('hello, this is not a tensor file at all');
  assert.match(errorOf(() => parseDirection(text, 'b.txt')), /^b\.txt: not a safetensors file: header length \d+ is implausible/);
  const good = fileWith({});
  assert.match(errorOf(() => parseDirection(good.subarray(0, 40), 'c.safetensors')), /^c\.safetensors: truncated safetensors file: header says \d+ header bytes/);
  assert.match(errorOf(() => parseDirection(good.subarray(0, good.length - 4), 'd.safetensors')), /^d\.safetensors: truncated safetensors file: tensor 'direction' ends at data byte 32 but the file holds 28/);
  const bad = new Uint8Array(8 + 6);
  new DataView(bad.buffer).setBigUint64(0, 6n, true);
  bad.set(new TextEncoder().encode('{"a":}'), 8);
  assert.match(errorOf(() => parseDirection(bad, 'e.safetensors')), /^e\.safetensors: bad safetensors JSON header: /);
});

test('tensor errors: missing tensor, dtype, shape vs model, NaN/Inf, zero layer', () => {
  assert.match(errorOf(() => parseDirection(fileWith({ tensor: 'refusal_dir' }), 'f.st')), /f\.st: no 'direction' tensor \(found 'refusal_dir'\)/);
  assert.match(errorOf(() => parseDirection(fileWith({ dtype: 'F16' }), 'g.st')), /g\.st: tensor 'direction' has dtype F16; direction files must be F32/);
  assert.match(errorOf(() => parseDirection(fileWith({ shape: [8] , values: new Float32Array(8).fill(1) }), 'h.st')), /has shape \[8\]; expected \[n_layers, d_model\]/);
  const six = fileWith({ shape: [6, 128], values: new Float32Array(6 * 128).fill(0.5) });
  assert.match(errorOf(() => parseDirection(six, 'i.st', { nLayers: 8, dModel: 128 })), /i\.st: direction has 6 layers × 128, model has 8 layers × 128/);
  const nan = Float32Array.from({ length: 8 }, (_, i) => i + 1);
  nan[6] = NaN;
  assert.match(errorOf(() => parseDirection(fileWith({ values: nan }), 'j.st')), /j\.st: non-finite value NaN at layer 1, index 2/);
  const inf = Float32Array.from({ length: 8 }, (_, i) => i + 1);
  inf[1] = -Infinity;
  assert.match(errorOf(() => parseDirection(fileWith({ values: inf }), 'k.st')), /non-finite value -Infinity at layer 0, index 1/);
  const zero = Float32Array.from({ length: 8 }, (_, i) => (i >= 4 ? 0 : 1));
  assert.match(errorOf(() => parseDirection(fileWith({ values: zero }), 'l.st')), /l\.st: layer 1 vector is all zeros/);
});

test('metadata: only the tensor is required; missing provenance is a warning and reads as unknown', () => {
  // as a short Python script writes it: the tensor and a name, nothing else
  const bare = parseDirection(fileWith({ meta: { name: 'mine' } }), 'm.st');
  assert.equal(bare.name, 'mine');
  for (const k of ['modelName', 'modelGraphHash', 'method', 'positions', 'nPos', 'nNeg', 'created', 'toolVersion'] as const) assert.equal(bare.meta[k], 'unknown');
  assert.equal(bare.meta.hook, 'resid_post');
  assert.equal(bare.meta.layerBase, 0);
  assert.deepEqual(bare.warnings, ["m.st: metadata lacks provenance fields model_name, model_graph_hash, method, positions, n_pos, n_neg, created, tool_version (shown as 'unknown')"]);
  // no metadata at all: the name comes from the file, and says so
  const none = parseDirection(fileWith({ meta: null }), 'dir/persona.safetensors');
  assert.equal(none.name, 'persona');
  assert.match(none.warnings!.join('\n'), /no name; the axis is named 'persona' after the file/);
  // an unknown graph hash is not compared with the model's
  assert.equal(parseDirection(fileWith({ meta: { name: 'x' } }), 'u.st', { nLayers: 2, dModel: 4, graphHash: 'cd'.repeat(32) }).warnings!.length, 1);
  // written back, provenance is always present (as 'unknown', not invented)
  const back = readSafetensors(serializeDirection(bare), 'b').metadata!;
  assert.equal(back.n_pos, 'unknown');
  assert.equal(back.model_graph_hash, 'unknown');
  assert.deepEqual(parseDirection(serializeDirection(bare), 'again.st').meta, bare.meta);
  const partial = metaToStrings(makeDir(2, 4).meta);
  delete partial.model_graph_hash;
  delete partial.n_neg;
  const p = parseDirection(fileWith({ meta: partial }), 'n.st');
  assert.deepEqual(p.warnings, ["n.st: metadata lacks provenance fields model_graph_hash, n_neg (shown as 'unknown')"]);
  assert.equal(p.meta.nPos, 32);
});

test('metadata errors name the bad fields', () => {
  const badCount = { ...metaToStrings(makeDir(2, 4).meta), n_pos: 'many' };
  assert.match(errorOf(() => parseDirection(fileWith({ meta: badCount }), 'o.st')), /metadata field n_pos must be a non-negative integer or 'unknown', got 'many'/);
  const badSource = { ...metaToStrings(makeDir(2, 4).meta), source_layer: '2' };
  assert.match(errorOf(() => parseDirection(fileWith({ meta: badSource }), 'p.st')), /source_layer must be a layer in 0\.\.1, got '2'/);
  const badExtra = { ...metaToStrings(makeDir(2, 4).meta), extra: '{nope' };
  assert.match(errorOf(() => parseDirection(fileWith({ meta: badExtra }), 'q.st')), /metadata field extra must hold JSON/);
  const hook = { ...metaToStrings(makeDir(2, 4).meta), hook: 'resid_pre' };
  assert.match(errorOf(() => parseDirection(fileWith({ meta: hook }), 'r.st')), /hook is 'resid_pre'; only 'resid_post'/);
});

test('graph hash mismatch is a warning, not an error', () => {
  const d = parseDirection(fileWith({}), 's.st', { nLayers: 2, dModel: 4, graphHash: 'cd'.repeat(32) });
  assert.equal(d.warnings?.length, 1);
  assert.match(d.warnings![0], /^s\.st: computed on graph abababababab… of 'organism', the loaded graph is cdcdcdcdcdcd…/);
});

test('readDirection reports a missing file by name', async () => {
  await assert.rejects(readDirection('/nonexistent/dir/x.safetensors'), /\/nonexistent\/dir\/x\.safetensors: no such file/);
  const tmp = await mkdtemp(path.join(tmpdir(), 'rl-dir-'));
  try {
    const f = path.join(tmp, 'junk.safetensors');
    await writeFile(f, 'junk');
    await assert.rejects(readDirection(f), (e: Error) => e instanceof DirectionFileError && e.message.startsWith(`${f}: not a safetensors file`));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('writeDirection refuses bad vectors before touching the disk', async () => {
  const d = makeDir(2, 3);
  d.vectors[4] = NaN;
  await assert.rejects(writeDirection(path.join(tmpdir(), 'never-written.safetensors'), d), /non-finite value NaN at layer 1, index 1/);
});

test('randomControl is seeded and norm-matched per layer', () => {
  const d = makeDir(4, 64);
  const a = randomControl(d, 7);
  const b = randomControl(d, 7);
  const c = randomControl(d, 8);
  assert.deepEqual(Array.from(a.vectors), Array.from(b.vectors));
  assert.notDeepEqual(Array.from(a.vectors), Array.from(c.vectors));
  for (let l = 0; l < 4; l++) {
    const want = norm(layerVector(d, l));
    assert.ok(Math.abs(norm(layerVector(a, l)) - want) < 1e-5 * want, `layer ${l} norm`);
  }
  assert.equal(a.name, 'refusal.random7');
  assert.equal(a.meta.method, 'random_control');
  assert.equal(randomControl(d, 7, 'ctl').meta.name, 'ctl');
  // random in 64 dims: nearly orthogonal to the source on average
  const cos = cosinePerLayer(a, d);
  assert.ok(cos.reduce((s, x) => s + Math.abs(x), 0) / cos.length < 0.35, `cosines ${cos}`);
  // it can be written and read back as a valid direction file
  const back = parseDirection(serializeDirection(a), 'ctl');
  assert.deepEqual((back.meta.extra as { seed: number }).seed, 7);
});

test('random samples look standard normal (Box–Muller over mulberry32)', () => {
  const d = makeDir(1, 20000, () => 1);
  const r = randomControl(d, 123).vectors;
  // scaled to norm sqrt(20000): entries should have mean ≈ 0 and variance ≈ 1
  let m = 0;
  for (const x of r) m += x;
  m /= r.length;
  let v = 0;
  for (const x of r) v += (x - m) ** 2;
  v /= r.length;
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.01, `variance ${v}`);
});

test('unit, cosinePerLayer and layerVector', () => {
  const u = unit([3, 4]);
  assert.deepEqual(Array.from(u), [Math.fround(0.6), Math.fround(0.8)]);
  assert.throws(() => unit([0, 0]), /cannot normalise/);
  const a = makeDir(3, 8);
  const neg = makeDir(3, 8, (l, i) => -2 * (Math.sin(l * 7 + i) + 0.1 * l));
  assert.deepEqual(cosinePerLayer(a, a).map((x) => Math.round(x * 1e6) / 1e6), [1, 1, 1]);
  assert.deepEqual(cosinePerLayer(a, neg).map((x) => Math.round(x * 1e6) / 1e6), [-1, -1, -1]);
  assert.throws(() => cosinePerLayer(a, makeDir(2, 8)), /is 3 × 8, 'refusal' is 2 × 8/);
  assert.equal(layerVector(a, 2)[1], a.vectors[2 * 8 + 1]);
  assert.throws(() => layerVector(a, 3), /layer 3 is out of range 0\.\.2/);
});

test('orthonormalBasis spans the inputs and drops dependent vectors', () => {
  const v1 = Float32Array.from([1, 1, 0, 0]);
  const v2 = Float32Array.from([1, 0, 1, 0]);
  const v3 = Float32Array.from([2, 1, 1, 0]); // v1 + v2
  const v4 = Float32Array.from([0, 0, 0, 0]);
  const q = orthonormalBasis([v1, v2, v3, v4], 4);
  assert.equal(q.length, 2);
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < q.length; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += q[i][k] * q[j][k];
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-6, `q${i}·q${j} = ${s}`);
    }
  }
  // v3 is reproduced exactly by its projection onto the basis
  const proj = new Float64Array(4);
  for (const b of q) {
    let c = 0;
    for (let k = 0; k < 4; k++) c += b[k] * v3[k];
    for (let k = 0; k < 4; k++) proj[k] += c * b[k];
  }
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(proj[k] - v3[k]) < 1e-5);
  assert.throws(() => orthonormalBasis([new Float32Array(3)], 4), /vector 0 has length 3, expected 4/);
});

test('generic container reader checks every entry', () => {
  const bytes = writeSafetensors([{ name: 'w', dtype: 'I32', shape: [2], data: new Uint8Array(8) }], { a: 'b' });
  const c = readSafetensors(bytes, 'w.st');
  assert.deepEqual(c.metadata, { a: 'b' });
  assert.equal(c.tensors.get('w')?.data.length, 8);
  const hb = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }));
  const bad = new Uint8Array(8 + hb.length + 8);
  new DataView(bad.buffer).setBigUint64(0, BigInt(hb.length), true);
  bad.set(hb, 8);
  assert.throws(() => readSafetensors(bad, 'w2.st'), /w2\.st: tensor 'w': F32 shape \[3\] needs 12 bytes but data_offsets span 8/);
});

test('writeDirection makes the folder it writes into (`--out axes/x.safetensors` in a fresh folder)', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'rl-dir-mk-'));
  const file = path.join(root, 'axes', 'deeper', 'refusal.safetensors');
  const dir = makeDir(3, 8);
  await writeDirection(file, dir);
  const back = await readDirection(file);
  assert.deepEqual(Array.from(back.vectors), Array.from(dir.vectors));
  await rm(root, { recursive: true, force: true });
});
