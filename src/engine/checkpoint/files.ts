// The files of a Hugging Face checkpoint folder, as transformers saves them: config.json plus
// model.safetensors, or model-0000k-of-0000n.safetensors shards named by
// model.safetensors.index.json. Only the safetensors headers are read here (a few KiB per
// shard): each tensor becomes a reference (file, absolute byte offset, length), never bytes.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeSize } from '../directions/safetensors.js';
import { fileExists, readJsonObject } from '../model/json.js';

export const STORAGE_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type StorageDtype = (typeof STORAGE_DTYPES)[number];

export interface TensorRef {
  name: string;
  dtype: StorageDtype;
  shape: number[];
  /** file name inside the checkpoint folder */
  file: string;
  /** absolute byte offset in the file: 8 + header length + data_offsets[0] */
  offset: number;
  length: number;
}

export interface ShardInfo {
  file: string;
  size: number;
  headerLength: number;
}

export interface CheckpointFiles {
  folder: string;
  shards: ShardInfo[];
  tensors: Map<string, TensorRef>;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
const MAX_HEADER = 100_000_000;

/** True when the folder holds a safetensors checkpoint (config.json + model.safetensors or an index). */
export function isCheckpointFolder(folder: string): boolean {
  return fileExists(join(folder, 'config.json')) && (fileExists(join(folder, SINGLE)) || fileExists(join(folder, INDEX)));
}

/** Read every shard's header and check it against the index and the file sizes. */
export function readCheckpointFiles(folder: string): CheckpointFiles {
  const indexPath = join(folder, INDEX);
  let wanted: Map<string, string> | undefined; // tensor → file, from the index
  let files: string[];
  if (fileExists(indexPath)) {
    wanted = readIndex(indexPath);
    files = [...new Set(wanted.values())].sort();
    for (const f of files) {
      if (!fileExists(join(folder, f))) {
        const some = [...wanted].find(([, v]) => v === f)![0];
        throw new CheckpointError(`${indexPath}: names shard "${f}" (for tensor '${some}' and others), which is not in ${folder}`);
      }
    }
  } else if (fileExists(join(folder, SINGLE))) {
    files = [SINGLE];
  } else {
    throw new CheckpointError(`${folder}: no ${SINGLE} and no ${INDEX}`);
  }
  const shards: ShardInfo[] = [];
  const tensors = new Map<string, TensorRef>();
  for (const file of files) {
    const { shard, refs } = readShardHeader(folder, file);
    shards.push(shard);
    for (const r of refs) {
      if (wanted && wanted.get(r.name) !== r.file) continue; // the index names another copy, or none
      const prev = tensors.get(r.name);
      if (prev) throw new CheckpointError(`tensor '${r.name}' is in both ${prev.file} and ${r.file}`);
      tensors.set(r.name, r);
    }
  }
  if (wanted) {
    for (const [name, file] of wanted) {
      if (!tensors.has(name)) throw new CheckpointError(`${indexPath}: tensor '${name}' is mapped to ${file}, but ${join(folder, file)} does not hold it`);
    }
  }
  return { folder, shards, tensors };
}

function readIndex(path: string): Map<string, string> {
  const idx = readJsonObject(path, INDEX);
  const map = idx['weight_map'];
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new CheckpointError(`${path}: missing object "weight_map"`);
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
    if (typeof v !== 'string' || v.includes('/') || v.includes('\\') || v.startsWith('.')) {
      throw new CheckpointError(`${path}: weight_map["${k}"] must be a file name in the folder, got ${JSON.stringify(v)}`);
    }
    out.set(k, v);
  }
  if (!out.size) throw new CheckpointError(`${path}: "weight_map" is empty`);
  return out;
}

function readShardHeader(folder: string, file: string): { shard: ShardInfo; refs: TensorRef[] } {
  const path = join(folder, file);
  const fail = (detail: string): never => {
    throw new CheckpointError(`${path}: ${detail}`);
  };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return fail(`cannot open: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) fail(`truncated safetensors file: ${size} bytes, too short for the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const hl = lenBuf.readBigUInt64LE(0);
    if (hl > BigInt(MAX_HEADER)) fail(`not a safetensors file: header length ${hl} is implausible`);
    const n = Number(hl);
    if (8 + n > size) fail(`truncated safetensors file: the header needs ${n} bytes, the file has ${size - 8} after the length`);
    const hb = Buffer.alloc(n);
    readSync(fd, hb, 0, n, 8);
    let header: unknown;
    try {
      header = JSON.parse(hb.toString('utf8'));
    } catch (e) {
      return fail(`bad safetensors header: ${(e as Error).message}`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) fail('bad safetensors header: not a JSON object');
    const dataStart = 8 + n;
    const refs: TensorRef[] = [];
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (!e || typeof e !== 'object') fail(`tensor '${name}': header entry must be an object`);
      const shape = e.shape;
      const offs = e.data_offsets;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}': bad shape ${JSON.stringify(shape)}`);
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
        fail(`tensor '${name}': bad data_offsets ${JSON.stringify(offs)}`);
      }
      const [begin, end] = offs as [number, number];
      const dtype = String(e.dtype);
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      const es = dtypeSize(dtype);
      if (es !== undefined && count * es !== end - begin) fail(`tensor '${name}': ${dtype} ${JSON.stringify(shape)} needs ${count * es} bytes, data_offsets span ${end - begin}`);
      if (dataStart + end > size) {
        fail(`truncated safetensors file: tensor '${name}' ends at byte ${dataStart + end}, the file has ${size} bytes`);
      }
      // a dtype outside STORAGE_DTYPES is kept here: the architecture check names it if the model uses the tensor
      refs.push({ name, dtype: dtype as StorageDtype, shape: shape as number[], file, offset: dataStart + begin, length: end - begin });
    }
    return { shard: { file, size, headerLength: n }, refs };
  } finally {
    closeSync(fd);
  }
}
