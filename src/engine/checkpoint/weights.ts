// Putting a checkpoint's tensors where onnxruntime can read them as float32 external data.
// F32 tensors are read in place: the shard file is hard-linked into the build folder
// (onnxruntime refuses data that resolves outside the graph's folder, through symlinks too,
// and hub-cache snapshot files are symlinks into ../../blobs), copied only across
// filesystems. F16/BF16 tensors are converted into one data file, tensor by tensor and chunk by
// chunk, so memory stays bounded whatever the checkpoint's size.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { TensorRef } from './files.js';

export const CONVERTED_FILE = 'weights.f32.data';
const ALIGN = 64;
/** elements converted per read (8 MiB of bf16 in, 16 MiB of float32 out) */
const CHUNK = 1 << 22;

export interface Placement {
  location: string;
  offset: number;
  length: number;
}

export interface WeightPlan {
  placement: Map<string, Placement>;
  /** shard files read in place */
  linked: string[];
  converted: TensorRef[];
  convertedBytes: number;
}

export function planWeights(tensors: TensorRef[]): WeightPlan {
  const placement = new Map<string, Placement>();
  const linked = new Set<string>();
  const converted: TensorRef[] = [];
  let off = 0;
  for (const t of tensors) {
    if (placement.has(t.name)) continue;
    if (t.dtype === 'F32') {
      placement.set(t.name, { location: t.file, offset: t.offset, length: t.length });
      linked.add(t.file);
    } else {
      const length = (t.length / 2) * 4;
      placement.set(t.name, { location: CONVERTED_FILE, offset: off, length });
      converted.push(t);
      off += Math.ceil(length / ALIGN) * ALIGN;
    }
  }
  return { placement, linked: [...linked], converted, convertedBytes: off };
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

let HALF: Float32Array | undefined;
/** float16 bit pattern → float32, every one of the 65536 */
function halfTable(): Float32Array {
  if (HALF) return HALF;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? sign * m * 2 ** -24 : e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (HALF = t);
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

/** Write the converted float32 data file (atomically), reading each tensor in bounded chunks. */
export async function convertTensors(
  plan: WeightPlan, srcDir: string, dir: string, onProgress?: (done: number, total: number) => void, signal?: AbortSignal,
): Promise<void> {
  if (!plan.converted.length) return;
  const dst = path.join(dir, CONVERTED_FILE);
  const tmp = tmpName(dst);
  const out = await fsp.open(tmp, 'wx');
  const handles = new Map<string, fsp.FileHandle>();
  try {
    const inBuf = Buffer.alloc(CHUNK * 2);
    const outArr = new Float32Array(CHUNK);
    const outBytes = new Uint8Array(outArr.buffer);
    let done = 0;
    const total = plan.converted.reduce((a, x) => a + x.length, 0);
    for (const t of plan.converted) {
      let fh = handles.get(t.file);
      if (!fh) handles.set(t.file, (fh = await fsp.open(path.join(srcDir, t.file), 'r')));
      const place = plan.placement.get(t.name)!;
      const n = t.length / 2;
      for (let i = 0; i < n; i += CHUNK) {
        if (signal?.aborted) throw new Error('cancelled: the partial data file was removed');
        const m = Math.min(CHUNK, n - i);
        const { bytesRead } = await fh.read(inBuf, 0, 2 * m, t.offset + 2 * i);
        if (bytesRead !== 2 * m) throw new Error(`${path.join(srcDir, t.file)}: tensor '${t.name}' is cut short (read ${bytesRead} of ${2 * m} bytes at ${t.offset + 2 * i})`);
        widen16(new Uint16Array(inBuf.buffer, inBuf.byteOffset, m), t.dtype, outArr);
        let w = 0;
        while (w < 4 * m) w += (await out.write(outBytes, w, 4 * m - w, place.offset + 4 * i + w)).bytesWritten;
        done += 2 * m;
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
