// GGUF control vectors (llama.cpp `--control-vector`, repeng's export_gguf): tensors
// `direction.N` (F32, 1-D [n_embd]) and keys general.architecture = "controlvector",
// controlvector.model_hint, controlvector.layer_count. llama.cpp refuses other tensor names, a
// layer index of 0, non-F32 and non-1-D tensors; so do we, with the same reasons in words.
import { LIMITS } from '../../../protocol/limits';
import { type LayerVectors, VectorFormatError } from './tensor';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const GGML_TYPE_NAMES: Record<number, string> = { 0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 28: 'F64', 30: 'BF16' };
const MAX_KV = 10_000;
const MAX_TENSORS = 4096;
const MAX_STRING = 16 * 1024 * 1024;

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufFile {
  kv: Map<string, GgufValue>;
  vectors: LayerVectors;
}

export function isGguf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === GGUF_MAGIC;
}

export function readGguf(bytes: Uint8Array, file: string): GgufFile {
  const fail = (d: string): never => {
    throw new VectorFormatError(file, d);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const need = (n: number, what: string) => {
    if (p + n > bytes.length) fail(`truncated GGUF file: ${what} at byte ${p} runs past the end (${bytes.length} bytes)`);
  };
  const u32 = (w: string) => (need(4, w), (p += 4), dv.getUint32(p - 4, true));
  const u64 = (w: string) => {
    need(8, w);
    const v = dv.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${w} ${v} at byte ${p - 8} is implausible`);
    return Number(v);
  };
  const str = (w: string) => {
    const n = u64(w);
    if (n > MAX_STRING) fail(`${w}: string of ${n} bytes is over the limit`);
    need(n, w);
    p += n;
    return new TextDecoder().decode(bytes.subarray(p - n, p));
  };
  if (!isGguf(bytes)) fail('not a GGUF file (no "GGUF" magic)');
  p = 4;
  const version = u32('version');
  if (version < 2 || version > 3) fail(`GGUF version ${version}; versions 2 and 3 are read`);
  const nTensors = u64('tensor count');
  const nKv = u64('key count');
  if (nTensors > MAX_TENSORS) fail(`GGUF lists ${nTensors} tensors; a control vector holds at most ${MAX_TENSORS}`);
  if (nKv > MAX_KV) fail(`GGUF lists ${nKv} keys, over the limit of ${MAX_KV}`);
  const value = (type: number, key: string, depth: number): GgufValue => {
    switch (type) {
      case 0: need(1, key); return bytes[p++]!;
      case 1: need(1, key); return dv.getInt8(p++);
      case 2: need(2, key); p += 2; return dv.getUint16(p - 2, true);
      case 3: need(2, key); p += 2; return dv.getInt16(p - 2, true);
      case 4: return u32(key);
      case 5: need(4, key); p += 4; return dv.getInt32(p - 4, true);
      case 6: need(4, key); p += 4; return dv.getFloat32(p - 4, true);
      case 7: need(1, key); return bytes[p++] !== 0;
      case 8: return str(key);
      case 9: {
        if (depth > 2) fail(`key ${key}: arrays nested too deeply`);
        const t = u32(key);
        const n = u64(key);
        if (n > bytes.length - p) fail(`key ${key}: array of ${n} items is longer than the file`);
        const out: GgufValue[] = [];
        for (let i = 0; i < n; i++) out.push(value(t, key, depth + 1));
        return out;
      }
      case 10: need(8, key); p += 8; return dv.getBigUint64(p - 8, true);
      case 11: need(8, key); p += 8; return dv.getBigInt64(p - 8, true);
      case 12: need(8, key); p += 8; return dv.getFloat64(p - 8, true);
      default: return fail(`key ${key} has unknown value type ${type}`);
    }
  };
  const kv = new Map<string, GgufValue>();
  for (let i = 0; i < nKv; i++) {
    const key = str('key');
    kv.set(key, value(u32(key), key, 0));
  }
  const infos: Array<{ name: string; dims: number[]; type: number; offset: number }> = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str('tensor name');
    const nd = u32(name);
    if (nd > 4) fail(`tensor ${name} has ${nd} dimensions`);
    const dims = Array.from({ length: nd }, () => u64(name));
    infos.push({ name, dims, type: u32(name), offset: u64(name) });
  }
  const align = Number(kv.get('general.alignment') ?? 32);
  if (!Number.isInteger(align) || align <= 0 || align > 65536) fail(`general.alignment ${align} is not a small positive integer`);
  const dataStart = Math.ceil(p / align) * align;
  const layers = new Map<number, Float32Array>();
  let dModel = -1;
  for (const t of infos) {
    const m = /^direction\.(\d+)$/.exec(t.name);
    if (!m) fail(`tensor '${t.name}' is not a control vector tensor; llama.cpp expects direction.N (N the layer)`);
    const layer = Number(m![1]);
    if (layer === 0) fail(`tensor 'direction.0': layer index 0 is invalid for llama.cpp control vectors (its first controlled layer is 1)`);
    if (t.type !== 0) fail(`tensor '${t.name}' has type ${GGML_TYPE_NAMES[t.type] ?? t.type}; control vectors must be F32 (llama.cpp refuses others)`);
    if (t.dims.length !== 1) fail(`tensor '${t.name}' has shape [${t.dims.join(', ')}]; control vectors are 1-D [n_embd]`);
    const n = t.dims[0]!;
    if (dModel >= 0 && n !== dModel) fail(`tensor '${t.name}' has ${n} values, the others ${dModel} (llama.cpp: "does not match previous dimensions")`);
    if (n > LIMITS.directionValues) fail(`tensor '${t.name}' is too large`);
    dModel = n;
    if (layers.has(layer)) fail(`tensor '${t.name}' appears twice`);
    const start = dataStart + t.offset;
    if (start + n * 4 > bytes.length) fail(`truncated GGUF file: tensor '${t.name}' needs bytes ${start}–${start + n * 4}, the file holds ${bytes.length}`);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = dv.getFloat32(start + i * 4, true);
    layers.set(layer, v);
  }
  if (!layers.size) fail('holds no direction.N tensors');
  return { kv, vectors: { layers, dModel, dtype: 'float32' } };
}

type Typed = { type: 'string'; value: string } | { type: 'u32'; value: number };

/** A GGUF v3 file with the given keys and one F32 `direction.N` tensor per layer, 32-byte aligned. */
export function writeGguf(kv: Array<[string, Typed]>, layers: Map<number, Float32Array>): Uint8Array {
  const enc = new TextEncoder();
  const parts: number[] = [];
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    parts.push(...b);
  };
  const u64 = (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    parts.push(...b);
  };
  const str = (s: string) => {
    const b = enc.encode(s);
    u64(b.length);
    for (const x of b) parts.push(x);
  };
  const sorted = [...layers.entries()].sort((a, b) => a[0] - b[0]);
  u32(GGUF_MAGIC);
  u32(3);
  u64(sorted.length);
  u64(kv.length);
  for (const [k, v] of kv) {
    str(k);
    if (v.type === 'string') (u32(8), str(v.value));
    else (u32(4), u32(v.value));
  }
  let offset = 0;
  for (const [l, v] of sorted) {
    str(`direction.${l}`);
    u32(1);
    u64(v.length);
    u32(0);
    u64(offset);
    offset += Math.ceil((v.length * 4) / 32) * 32;
  }
  const head = Math.ceil(parts.length / 32) * 32;
  const out = new Uint8Array(head + offset);
  out.set(parts);
  const dv = new DataView(out.buffer);
  let at = head;
  for (const [, v] of sorted) {
    v.forEach((x, i) => dv.setFloat32(at + i * 4, x, true));
    at += Math.ceil((v.length * 4) / 32) * 32;
  }
  return out;
}
