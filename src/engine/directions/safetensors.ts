// A small, dependency-free reader and writer for the safetensors container format
// (https://github.com/huggingface/safetensors):
//
//   [u64 little-endian N] [N bytes UTF-8 JSON header] [raw little-endian tensor bytes]
//
// The header maps tensor names to { dtype, shape, data_offsets: [begin, end] } (offsets relative to
// the first byte after the header) plus an optional "__metadata__" object of string → string.
// Pure: works on bytes, so it needs no node builtins.
import { LIMITS } from '../../protocol/limits';

/** Bytes per element of the dtypes we can name in messages; only F32 is decoded by callers. */
const DTYPE_SIZES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  U16: 2, I16: 2, F16: 2, BF16: 2,
  U32: 4, I32: 4, F32: 4,
  U64: 8, I64: 8, F64: 8,
};

/** The reference implementation refuses headers above 100 MB; so do we (it also guards absurd lengths). */
const MAX_HEADER_BYTES = LIMITS.safetensorsHeaderBytes;

export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** The tensor's raw bytes (a view into the file's bytes). */
  data: Uint8Array;
}

export interface SafetensorsContents {
  tensors: Map<string, TensorEntry>;
  /** `__metadata__`, or undefined when the file has none. Values are checked to be strings. */
  metadata?: Record<string, string>;
}

/** A format error; the message already names the file. */
export class SafetensorsError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

export function dtypeSize(dtype: string): number | undefined {
  return DTYPE_SIZES[dtype];
}

/** Parses the container (header, offsets, sizes); decoding element values is the caller's job. */
export function readSafetensors(bytes: Uint8Array, fileLabel: string): SafetensorsContents {
  const fail = (detail: string): never => {
    throw new SafetensorsError(fileLabel, detail);
  };
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    fail(`not a safetensors file: header length ${headerLen} is implausible (first 8 bytes must be a little-endian u64 header size)`);
  }
  const n = Number(headerLen);
  if (8 + n > bytes.length) {
    fail(`truncated safetensors file: header says ${n} header bytes but only ${bytes.length - 8} follow the length`);
  }
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('bad safetensors header: not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    return fail(`bad safetensors JSON header: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail('bad safetensors JSON header: expected a JSON object');
  }
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> | undefined;
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(raw, fail);
      continue;
    }
    tensors.set(name, checkEntry(name, raw, data, fail));
  }
  // As the reference reader: the data section is exactly what the header describes.
  const used = Object.entries(header as Record<string, { data_offsets?: number[] }>).reduce((m, [k, e]) => (k === '__metadata__' ? m : Math.max(m, e.data_offsets![1]!)), 0);
  if (data.length > used) fail(`${data.length - used} bytes after the last tensor's data (the header describes ${used} data bytes)`);
  return { tensors, metadata };
}

function checkMetadata(raw: unknown, fail: (d: string) => never): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ must be an object of string values');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__.${k} must be a string (safetensors metadata is string → string), got ${typeof v}`);
    out[k] = v as string;
  }
  return out;
}

function checkEntry(name: string, raw: unknown, data: Uint8Array, fail: (d: string) => never): TensorEntry {
  if (raw === null || typeof raw !== 'object') fail(`tensor '${name}': header entry must be an object`);
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e.dtype !== 'string') fail(`tensor '${name}': missing dtype`);
  const dtype = e.dtype as string;
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor '${name}': shape must be an array of non-negative integers`);
  }
  const offs = e.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
    fail(`tensor '${name}': data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
  }
  const [begin, end] = offs as [number, number];
  if (end > data.length) {
    fail(`truncated safetensors file: tensor '${name}' ends at data byte ${end} but the file holds ${data.length} data bytes`);
  }
  const size = dtypeSize(dtype);
  if (size !== undefined) {
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) {
      fail(`tensor '${name}': ${dtype} shape [${(shape as number[]).join(', ')}] needs ${count * size} bytes but data_offsets span ${end - begin}`);
    }
  }
  return { dtype, shape: shape as number[], data: data.subarray(begin, end) };
}

/**
 * Serialises tensors in the given order, contiguous from offset 0. The header is padded with
 * spaces to a multiple of 8 bytes so the data starts aligned, as the reference writer does.
 */
export function writeSafetensors(tensors: Array<{ name: string } & TensorEntry>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const size = dtypeSize(t.dtype);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (size === undefined || size * count !== t.data.length) {
      throw new Error(`writeSafetensors: tensor '${t.name}' has ${t.data.length} bytes, not ${count} × ${t.dtype}`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}

/** Little-endian float32 bytes → Float32Array (copied, so alignment and host endianness do not matter). */
export function decodeF32(data: Uint8Array): Float32Array {
  const n = data.length >> 2;
  const out = new Float32Array(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

export function encodeF32(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return out;
}
