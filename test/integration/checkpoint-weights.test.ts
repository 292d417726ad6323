// 16-bit → float32 conversion of checkpoint tensors on real files: every F16 class (zeros,
// normals, the largest, subnormals, infinities, NaN) and BF16 bit patterns, at their offsets.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { convertTensors, CONVERTED_FILE, planWeights } from '../../src/engine/checkpoint/weights';
import type { TensorRef } from '../../src/engine/checkpoint/files';
import { decodeModel, DT, encodeModel, makeModel } from '../../src/engine/onnx/proto';

const dir = mkdtempSync(join(tmpdir(), 'rl-ckpt-w-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('F16 and BF16 tensors convert exactly to float32 at their planned offsets', async () => {
  const f16: [number, number][] = [
    [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14], [0x3555, 0.333251953125], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7e00, NaN],
  ];
  const bf16Vals = [1, -3.5, 1e30, 2 ** -130, Infinity];
  const bf16Bits = bf16Vals.map((v) => new Uint32Array(Float32Array.of(v).buffer)[0]! >>> 16);
  // a file with 5 junk bytes first: tensors at unaligned offsets, as in a safetensors file
  const buf = Buffer.alloc(5 + 2 * f16.length + 2 * bf16Bits.length);
  f16.forEach(([b], i) => buf.writeUInt16LE(b, 5 + 2 * i));
  bf16Bits.forEach((b, i) => buf.writeUInt16LE(b, 5 + 2 * f16.length + 2 * i));
  writeFileSync(join(dir, 'w.safetensors'), buf);
  const refs: TensorRef[] = [
    { name: 'a', dtype: 'F16', shape: [f16.length], file: 'w.safetensors', offset: 5, length: 2 * f16.length },
    { name: 'b', dtype: 'BF16', shape: [bf16Bits.length], file: 'w.safetensors', offset: 5 + 2 * f16.length, length: 2 * bf16Bits.length },
  ];
  const plan = planWeights(refs);
  await convertTensors(plan, dir, dir);
  const out = readFileSync(join(dir, CONVERTED_FILE));
  assert.equal(out.length, plan.convertedBytes);
  const read = (name: string, n: number) => {
    const p = plan.placement.get(name)!;
    assert.equal(p.location, CONVERTED_FILE);
    assert.equal(p.offset % 64, 0);
    return Array.from({ length: n }, (_, i) => out.readFloatLE(p.offset + 4 * i));
  };
  assert.deepEqual(read('a', f16.length), f16.map(([, v]) => Math.fround(v)));
  assert.ok(Object.is(read('a', 2)[1], -0));
  assert.deepEqual(read('b', bf16Vals.length), bf16Vals.map((v) => new Float32Array(new Uint32Array([(new Uint32Array(Float32Array.of(v).buffer)[0]! >>> 16) << 16]).buffer)[0]));
});

it('the ONNX codec encodes a new external-data initializer (location, offset, length, data_location)', () => {
  const t = {
    name: 'w', dims: [2, 3], dataType: DT.FLOAT, dataLocation: 1,
    externalData: [{ key: 'location', value: 'model.safetensors' }, { key: 'offset', value: '1234' }, { key: 'length', value: '24' }],
  };
  const m = makeModel({ name: 'g', node: [], initializer: [t], input: [], output: [], valueInfo: [] }, [{ domain: '', version: 17 }]);
  const back = decodeModel(encodeModel(m)).graph.initializer[0]!;
  assert.deepEqual({ name: back.name, dims: back.dims, dataType: back.dataType, dataLocation: back.dataLocation, externalData: back.externalData }, t);
});
