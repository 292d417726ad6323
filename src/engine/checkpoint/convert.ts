// `refusal-lens convert`: a checkpoint folder written out as a plain (un-hooked) ONNX model in
// the onnx-community layout, for any ONNX client (transformers.js, onnxruntime, Optimum):
//   OUT/onnx/model.onnx          the decoder graph of build-decoder.ts (structure only)
//   OUT/onnx/model.onnx_data[_k] float32 weights as external data, chunks of at most 2 GiB
//   OUT/config.json (+ head_dim, + transformers.js_config), generation_config.json, tokenizer
//   files and chat template as found.
// Unlike the build cache, nothing points back into the checkpoint: the folder stands alone.
// OUT must not exist or be empty; everything is written in OUT.partial-XXXX beside it and renamed
// at the end, so an interrupted or failed conversion leaves no OUT and no partial folder.

import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { encodeModelParts } from '../onnx/proto.js';
import { buildDecoderGraph } from './build-decoder.js';
import { planCheckpoint } from './build.js';
import type { TensorRef } from './files.js';
import { widen16 } from './weights.js';

/** Compute dtypes convert writes; q8/q4/fp16 come with the checkpoint quantiser. */
export const CONVERT_DTYPES = ['fp32'] as const;
/** transformers.js names external data chunks `model.onnx_data`, `model.onnx_data_1`, …; browsers cap one file near 2 GiB */
const CHUNK_BYTES = 2 ** 31 - 2 ** 20;
const ALIGN = 64;
/** elements read per step (8 MiB of 16-bit input) */
const STEP = 1 << 22;
/** files beside the weights that clients read, copied when present */
export const SIDE_FILES = [
  'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'chat_template.json',
  'special_tokens_map.json', 'added_tokens.json', 'tokenizer.model', 'vocab.json', 'merges.txt', 'README.md', 'LICENSE',
];

export interface ConvertOptions {
  dtype?: string;
  /** bytes of float32 weights written so far, of the total */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** largest data file (default just under 2 GiB); smaller in tests, to exercise several files */
  chunkBytes?: number;
}

export interface ConvertResult {
  out: string;
  modelType: string;
  /** relative to out */
  graph: string;
  dataFiles: string[];
  weightBytes: number;
  copied: string[];
}

const cancelled = () => Object.assign(new Error('cancelled; nothing was written'), { name: 'AbortError' });

/** Why `out` cannot receive a conversion, or undefined (absent, or an empty folder). */
export async function outProblem(out: string): Promise<string | undefined> {
  const st = await fsp.lstat(out).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isDirectory()) return `${out} exists and is not a folder; give a new folder`;
  const names = await fsp.readdir(out);
  if (names.length) return `${out} exists and is not empty (${names.length} entr${names.length > 1 ? 'ies' : 'y'}, e.g. ${names[0]}); refusing to overwrite: give a new or empty folder`;
  return undefined;
}

export async function convertCheckpoint(folderArg: string, outArg: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const dtype = opts.dtype ?? 'fp32';
  if (!(CONVERT_DTYPES as readonly string[]).includes(dtype)) throw new Error(`--dtype must be one of ${CONVERT_DTYPES.join(', ')}, got '${dtype}'`);
  const out = path.resolve(outArg);
  const p = await planCheckpoint(folderArg);
  if (out === p.folder || out.startsWith(p.folder + path.sep)) throw new Error(`the output ${out} must be outside the checkpoint folder ${p.folder}`);
  const problem = await outProblem(out);
  if (problem) throw new Error(problem);
  const parent = path.dirname(out);
  await fsp.mkdir(parent, { recursive: true }).catch((e: Error) => {
    throw new Error(`cannot create the folder ${parent}: ${e.message}`);
  });

  const tensors: TensorRef[] = p.tensors.filter((t, i, all) => all.findIndex((u) => u.name === t.name) === i);
  const { place, chunks } = planChunks(tensors, opts.chunkBytes ?? CHUNK_BYTES);
  const total = chunks.reduce((a, c) => a + c.size, 0);
  await checkDisk(parent, total);

  const tmp = `${out}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await fsp.mkdir(path.join(tmp, 'onnx'), { recursive: true });
    let done = 0;
    for (const c of chunks) {
      done = await writeChunk(p.folder, path.join(tmp, 'onnx', c.file), c.tensors, place, (n) => {
        opts.onProgress?.(done + n, total);
      }, opts.signal).then((n) => done + n);
    }
    if (opts.signal?.aborted) throw cancelled();
    const model = buildDecoderGraph(p.spec, (name) => name);
    model.graph.initializer = [
      ...tensors.map((t) => {
        const pl = place.get(t.name)!;
        return {
          name: t.name, dims: t.shape, dataType: 1, dataLocation: 1,
          externalData: [{ key: 'location', value: pl.file }, { key: 'offset', value: String(pl.offset) }, { key: 'length', value: String(pl.length) }],
        };
      }),
      ...model.graph.initializer,
    ];
    await writeParts(path.join(tmp, 'onnx', 'model.onnx'), encodeModelParts(model));
    await fsp.writeFile(path.join(tmp, 'config.json'), JSON.stringify(await outConfig(p.folder, p.spec.headDim, chunks.length), null, 2) + '\n');
    const copied = ['config.json'];
    for (const f of SIDE_FILES) {
      try {
        await fsp.copyFile(path.join(p.folder, f), path.join(tmp, f)); // follows hub-cache symlinks
        copied.push(f);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    await inlineChatTemplate(tmp);
    if (opts.signal?.aborted) throw cancelled();
    // an empty OUT goes first (rmdir refuses a folder that is not empty: files that appeared meanwhile stay)
    const again = await outProblem(out);
    if (again) throw new Error(again);
    await fsp.rmdir(out).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw new Error(`${out} can no longer be replaced: ${e.message}`);
    });
    await fsp.rename(tmp, out);
    return { out, modelType: p.spec.modelType, graph: 'onnx/model.onnx', dataFiles: chunks.map((c) => `onnx/${c.file}`), weightBytes: total, copied };
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (opts.signal?.aborted) throw cancelled();
    throw e;
  }
}

export interface DataChunk {
  file: string;
  size: number;
  tensors: TensorRef[];
}

/**
 * Each tensor (as float32) placed in a data file: in order, 64-byte aligned, a new file
 * (`model.onnx_data_1`, …) when the next tensor would pass `limit`; a tensor larger than
 * `limit` gets a file of its own (external data cannot split a tensor).
 */
export function planChunks(tensors: TensorRef[], limit: number): { place: Map<string, { file: string; offset: number; length: number }>; chunks: DataChunk[] } {
  const place = new Map<string, { file: string; offset: number; length: number }>();
  const chunks: DataChunk[] = [];
  for (const t of tensors) {
    const length = t.dtype === 'F32' ? t.length : 2 * t.length;
    let c = chunks.at(-1);
    const at = c ? Math.ceil(c.size / ALIGN) * ALIGN : 0;
    if (!c || (c.size > 0 && at + length > limit)) {
      c = { file: `model.onnx_data${chunks.length ? `_${chunks.length}` : ''}`, size: 0, tensors: [] };
      chunks.push(c);
    }
    const offset = c.size ? Math.ceil(c.size / ALIGN) * ALIGN : 0;
    place.set(t.name, { file: c.file, offset, length });
    c.tensors.push(t);
    c.size = offset + length;
  }
  return { place, chunks };
}

/** config.json as given, plus what clients need spelt out: head_dim, and transformers.js's external-data chunk count. */
async function outConfig(folder: string, headDim: number, nChunks: number): Promise<Record<string, unknown>> {
  const cfg = JSON.parse(await fsp.readFile(path.join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  cfg['head_dim'] ??= headDim;
  const tjs = (cfg['transformers.js_config'] && typeof cfg['transformers.js_config'] === 'object' ? cfg['transformers.js_config'] : {}) as Record<string, unknown>;
  cfg['transformers.js_config'] = { ...tjs, dtype: 'fp32', use_external_data_format: { 'model.onnx': nChunks } };
  return cfg;
}

/**
 * A template only in chat_template.jinja (newer transformers) also goes into tokenizer_config.json's
 * "chat_template": transformers.js 4 and older Python clients read only that.
 */
async function inlineChatTemplate(dir: string): Promise<void> {
  const cfgPath = path.join(dir, 'tokenizer_config.json');
  let jinja: string;
  let cfg: Record<string, unknown>;
  try {
    jinja = await fsp.readFile(path.join(dir, 'chat_template.jinja'), 'utf8');
    cfg = JSON.parse(await fsp.readFile(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch {
    return; // no template file, or no (readable) tokenizer_config.json: copied as they were
  }
  if (cfg['chat_template'] !== undefined) return;
  await fsp.writeFile(cfgPath, JSON.stringify({ ...cfg, chat_template: jinja }, null, 2) + '\n');
}

/** Streams tensors into one data file as float32 at their planned offsets; returns the bytes written. */
async function writeChunk(
  srcDir: string, dst: string, tensors: TensorRef[], place: Map<string, { offset: number; length: number }>,
  progress: (bytes: number) => void, signal: AbortSignal | undefined,
): Promise<number> {
  const outFh = await fsp.open(dst, 'wx');
  const handles = new Map<string, fsp.FileHandle>();
  let written = 0;
  try {
    const inBuf = Buffer.alloc(STEP * 4);
    const f32 = new Float32Array(STEP);
    for (const t of tensors) {
      let fh = handles.get(t.file);
      if (!fh) handles.set(t.file, (fh = await fsp.open(path.join(srcDir, t.file), 'r')));
      const at = place.get(t.name)!.offset;
      const wide = t.dtype !== 'F32';
      const inStep = wide ? STEP * 2 : STEP * 4;
      for (let i = 0; i < t.length; i += inStep) {
        if (signal?.aborted) throw cancelled();
        const m = Math.min(inStep, t.length - i);
        const { bytesRead } = await fh.read(inBuf, 0, m, t.offset + i);
        if (bytesRead !== m) throw new Error(`${path.join(srcDir, t.file)}: tensor '${t.name}' is cut short (read ${bytesRead} of ${m} bytes at ${t.offset + i})`);
        let bytes: Uint8Array = inBuf.subarray(0, m);
        if (wide) {
          widen16(new Uint16Array(inBuf.buffer, inBuf.byteOffset, m / 2), t.dtype, f32);
          bytes = new Uint8Array(f32.buffer, 0, 2 * m);
        }
        const pos = at + (wide ? 2 * i : i);
        let w = 0;
        while (w < bytes.length) w += (await outFh.write(bytes, w, bytes.length - w, pos + w)).bytesWritten;
        written += bytes.length;
        progress(written);
      }
    }
    await outFh.truncate(Math.max(0, ...tensors.map((t) => place.get(t.name)!.offset + place.get(t.name)!.length)));
    await outFh.close();
    return written;
  } catch (e) {
    await outFh.close().catch(() => undefined);
    throw e;
  } finally {
    for (const h of handles.values()) await h.close().catch(() => undefined);
  }
}

async function writeParts(file: string, parts: Uint8Array[]): Promise<void> {
  const fh = await fsp.open(file, 'wx');
  try {
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += (await fh.write(part, off, part.length - off)).bytesWritten;
    }
  } finally {
    await fh.close();
  }
}

async function checkDisk(dir: string, need: number): Promise<void> {
  const st = await fsp.statfs(dir).catch(() => undefined);
  if (!st) return;
  const free = Number(st.bavail) * Number(st.bsize);
  if (free < need * 1.02 + 2 ** 20) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    throw new Error(`not enough disk space in ${dir}: the float32 weights need ${gib(need)}, ${gib(free)} is free; give an --out on another disk`);
  }
}
