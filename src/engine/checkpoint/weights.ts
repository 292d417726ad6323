// Putting a checkpoint's tensors where onnxruntime can read them as external data, in the
// form the compute dtype asks for: float32 ('f32'), float16 ('f16', cast to float32 in the
// graph) or block-quantised for MatMulNBits ('q4', 'q8': packed, scales, zero points).
// A tensor already stored in its form is read in place: the shard file is hard-linked into the
// build folder (onnxruntime refuses data that resolves outside the graph's folder, through
// symlinks too, and hub-cache snapshot files are symlinks into ../../blobs), copied only across
// filesystems. Every other tensor is converted into one data file, tensor by tensor and chunk by
// chunk (whole rows for quantisation), so memory stays bounded whatever the checkpoint's size.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { TensorRef } from './files.js';
import { halfTable, quantBytes, quantizeRows, toHalf, type QuantLayout } from './quantize.js';

export const CONVERTED_FILE = 'weights.f32.data';
const ALIGN = 64;
/** elements converted per read (8 MiB of bf16 in, 16 MiB of float32 out) */
const CHUNK = 1 << 22;

export type WeightForm = 'f32' | 'f16' | 'q4' | 'q8';

export interface Placement {
  location: string;
  offset: number;
  length: number;
}

export interface QuantPlacement {
  layout: QuantLayout;
  packed: Placement;
  scales: Placement;
  zeroPoints: Placement;
}

export interface WeightPlan {
  /** f32 / f16 tensors */
  placement: Map<string, Placement>;
  /** q4 / q8 tensors */
  quantized: Map<string, QuantPlacement>;
  forms: Map<string, WeightForm>;
  /** shard files read in place */
  linked: string[];
  converted: TensorRef[];
  convertedBytes: number;
  dataFile: string;
}

const STORED_FORM: Record<string, WeightForm | undefined> = { F32: 'f32', F16: 'f16' };

/** `formOf` chooses each tensor's form (default: all float32); quantised tensors must be 2-D. */
export function planWeights(tensors: TensorRef[], formOf: (t: TensorRef) => WeightForm = () => 'f32', blockSize = 32, dataFile = CONVERTED_FILE): WeightPlan {
  const placement = new Map<string, Placement>();
  const quantized = new Map<string, QuantPlacement>();
  const forms = new Map<string, WeightForm>();
  const linked = new Set<string>();
  const converted: TensorRef[] = [];
  let off = 0;
  const take = (length: number): Placement => {
    const p = { location: dataFile, offset: off, length };
    off += Math.ceil(length / ALIGN) * ALIGN;
    return p;
  };
  for (const t of tensors) {
    if (forms.has(t.name)) continue;
    const form = formOf(t);
    forms.set(t.name, form);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (form === 'q4' || form === 'q8') {
      if (t.shape.length !== 2) throw new Error(`tensor '${t.name}' [${t.shape.join(', ')}] cannot be block-quantised: not 2-D`);
      const layout: QuantLayout = { bits: form === 'q4' ? 4 : 8, blockSize, n: t.shape[0]!, k: t.shape[1]! };
      const b = quantBytes(layout);
      quantized.set(t.name, { layout, packed: take(b.packed), scales: take(b.scales), zeroPoints: take(b.zeroPoints) });
      converted.push(t);
    } else if (STORED_FORM[t.dtype] === form) {
      placement.set(t.name, { location: t.file, offset: t.offset, length: t.length });
      linked.add(t.file);
    } else {
      placement.set(t.name, take(count * (form === 'f32' ? 4 : 2)));
      converted.push(t);
    }
  }
  return { placement, quantized, forms, linked: [...linked], converted, convertedBytes: off, dataFile };
}

const tmpName = (p: string) => `${p}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Hard-link (else copy) each file of `srcDir` into `dir`; symlinks are resolved first. */
export async function linkFiles(files: string[], srcDir: string, dir: string): Promise<{ copied: string[] }> {
  const copied: string[] = [];
  for (const f of files) {
    const target = await fsp.realpath(path.join(srcDir, f)); // link(2) would link the symlink itself
    const dst = path.join(dir, f);
    const [have, want] = await Promise.all([fsp.stat(dst).catch(() => undefined), fsp.stat(target)]);
    if (have && have.ino === want.ino && have.dev === want.dev) continue;
    const tmp = tmpName(dst);
    try {
      await fsp.link(target, tmp);
    } catch (e) {
      if (!['EXDEV', 'EPERM', 'EACCES', 'EMLINK', 'ENOTSUP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      await fsp.copyFile(target, tmp, fsConstants.COPYFILE_FICLONE);
      copied.push(f);
    }
    await fsp.rename(tmp, dst);
  }
  return { copied };
}

/** Stored elements → float32 (BF16 is the top half of a float32: exact). */
function decode(t: TensorRef, bytes: Buffer, m: number, out: Float32Array): void {
  if (t.dtype === 'F32') {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, m));
    return;
  }
  widen16(new Uint16Array(bytes.buffer, bytes.byteOffset, m), t.dtype, out);
}

/** 16-bit floats (F16 or BF16 bit patterns) → float32, exactly, into the start of `out`. */
export function widen16(u16: Uint16Array, dtype: string, out: Float32Array): void {
  const m = u16.length;
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer, out.byteOffset, m);
    for (let j = 0; j < m; j++) u32[j] = u16[j]! << 16; // bf16 is the top half of a float32: exact
  } else {
    const tab = halfTable();
    for (let j = 0; j < m; j++) out[j] = tab[u16[j]!]!;
  }
}

/** Write the converted data file (atomically), reading each tensor in bounded chunks. */
export async function convertTensors(
  plan: WeightPlan, srcDir: string, dir: string, onProgress?: (done: number, total: number) => void, signal?: AbortSignal,
): Promise<void> {
  if (!plan.converted.length) return;
  const dst = path.join(dir, plan.dataFile);
  const tmp = tmpName(dst);
  const out = await fsp.open(tmp, 'wx');
  const handles = new Map<string, fsp.FileHandle>();
  const total = plan.converted.reduce((a, x) => a + x.length, 0);
  const write = async (bytes: Uint8Array, at: number) => {
    let w = 0;
    while (w < bytes.length) w += (await out.write(bytes, w, bytes.length - w, at + w)).bytesWritten;
  };
  try {
    // Buffers grow to the largest chunk (a quantised chunk is whole rows: ≥ one row of K)
    let inBuf = Buffer.alloc(0);
    let vals = new Float32Array(0);
    let done = 0;
    for (const t of plan.converted) {
      let fh = handles.get(t.file);
      if (!fh) handles.set(t.file, (fh = await fsp.open(path.join(srcDir, t.file), 'r')));
      const es = t.dtype === 'F32' ? 4 : 2;
      const n = t.length / es;
      const q = plan.quantized.get(t.name);
      const rowLen = q ? q.layout.k : 1;
      const rowsPer = Math.max(1, Math.floor(CHUNK / rowLen));
      for (let i = 0; i < n; i += rowsPer * rowLen) {
        if (signal?.aborted) throw new Error('cancelled: the partial data file was removed');
        const m = Math.min(rowsPer * rowLen, n - i);
        if (inBuf.length < es * m) inBuf = Buffer.alloc(es * m);
        if (vals.length < m) vals = new Float32Array(m);
        const { bytesRead } = await fh.read(inBuf, 0, es * m, t.offset + es * i);
        if (bytesRead !== es * m) throw new Error(`${path.join(srcDir, t.file)}: tensor '${t.name}' is cut short (read ${bytesRead} of ${es * m} bytes at ${t.offset + es * i})`);
        decode(t, inBuf, m, vals);
        if (q) {
          const row0 = i / rowLen;
          const rows = m / rowLen;
          const r = quantizeRows(vals, rows, q.layout);
          const at = quantBytes(q.layout, row0);
          await write(r.packed, q.packed.offset + at.packed);
          await write(new Uint8Array(r.scales.buffer, 0, r.scales.byteLength), q.scales.offset + at.scales);
          await write(r.zeroPoints, q.zeroPoints.offset + at.zeroPoints);
        } else if (plan.forms.get(t.name) === 'f16') {
          const h = new Uint16Array(m);
          for (let j = 0; j < m; j++) h[j] = toHalf(vals[j]!);
          await write(new Uint8Array(h.buffer), plan.placement.get(t.name)!.offset + 2 * i);
        } else {
          await write(new Uint8Array(vals.buffer, 0, 4 * m), plan.placement.get(t.name)!.offset + 4 * i);
        }
        done += es * m;
        onProgress?.(done, total); // per chunk: an 8B model's embedding alone is 1 GiB
      }
    }
    await out.truncate(plan.convertedBytes);
    await out.close();
    await fsp.rename(tmp, dst);
  } catch (e) {
    await out.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    for (const h of handles.values()) await h.close().catch(() => undefined);
  }
}
