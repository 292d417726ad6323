// On-disk cache of hooked graphs. The hooked graph sits next to its source so the source's
// external data (relative `location`) still resolves; when that folder is read-only it goes
// into a cache folder with hard links to (or, across filesystems, copies of) the external
// data files. Weights are never read into JavaScript.

import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { decodeModel, encodeModelParts, ModelProto } from './proto';
import { HookInfo, hookDecodedModel, HookOptions, REWRITE_VERSION } from './rewrite';
import { writePartsAtomic } from '../io/atomic.js';

export interface HookCacheOptions extends HookOptions {
  /** used only when the source folder is not writable: gets `<key12>/` with the graph and its data files */
  cacheDir?: string;
  /** rewrite even when a cached graph checks out (onnxruntime could not open it) */
  rebuild?: boolean;
}

/**
 * What the `.json` sidecar holds besides the HookInfo: the hooked graph's size and sha256, so a
 * graph damaged after it was written (a bad disk, a copy cut short, a hand edit) is noticed
 * and rewritten instead of failing every run.
 */
interface GraphCheck {
  bytes: number;
  sha256: string;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    // 1 MiB reads: the default 64 KiB made hashing a 6 MB graph ~6x slower than one read.
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('error', (e) => reject(new Error(`cannot read '${file}' to hash it: ${e.message}`)))
      .on('end', () => resolve());
  });
  return h.digest('hex');
}

function cacheKey(source: Uint8Array, opts: HookOptions): string {
  const h = createHash('sha256');
  h.update(source);
  h.update(`\0refusal-lens-rewrite/${REWRITE_VERSION}\0${JSON.stringify({ numLayers: opts.numLayers, dModel: opts.dModel })}`);
  return h.digest('hex');
}

/** The cached pair's HookInfo when the pair is complete, current and its graph checks out. */
async function readInfo(jsonPath: string, onnxPath: string, opts: HookOptions): Promise<HookInfo | undefined> {
  try {
    const { graph, ...info } = JSON.parse(await fsp.readFile(jsonPath, 'utf8')) as HookInfo & { graph?: GraphCheck };
    const ok = info.rewriteVersion === REWRITE_VERSION && info.numLayers === opts.numLayers && info.dModel === opts.dModel && Array.isArray(info.layers) && Array.isArray(info.paddingUnsafeOps);
    if (!ok || typeof graph?.bytes !== 'number' || typeof graph.sha256 !== 'string') return undefined;
    // Size first (free), then the hash (one read of the graph; see sha256File).
    if ((await fsp.stat(onnxPath)).size !== graph.bytes) return undefined;
    if ((await sha256File(onnxPath)) !== graph.sha256) return undefined;
    return info as HookInfo;
  } catch {
    return undefined; // missing, half-written or damaged: rewrite
  }
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Relative external-data file names the graph refers to. */
function externalFiles(model: ModelProto, srcDir: string): string[] {
  const files = new Set<string>();
  const tensors = [...model.graph.initializer, ...model.graph.node.flatMap((n) => n.attributes.flatMap((a) => (a.t ? [a.t] : [])))];
  for (const t of tensors) {
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    if (!loc) continue;
    const abs = path.resolve(srcDir, loc);
    if (path.isAbsolute(loc) || !abs.startsWith(srcDir + path.sep)) {
      throw new Error(`initializer '${t.name}': external data location '${loc}' is outside the model folder`);
    }
    files.add(loc);
  }
  return [...files];
}

/**
 * Make the external data files appear inside `dir`. onnxruntime (≥ 1.24) resolves symlinks
 * and refuses data that lies outside the model's folder, so: a hard link (same file, no
 * copy), else a kernel-side copy (reflink where the filesystem has it); never a JS read.
 */
async function linkExternal(files: string[], srcDir: string, dir: string): Promise<void> {
  for (const loc of files) {
    const dst = path.join(dir, loc);
    const target = path.join(srcDir, loc);
    await fsp.mkdir(path.dirname(dst), { recursive: true });
    const [have, want] = await Promise.all([fsp.stat(dst).catch(() => undefined), fsp.stat(target)]);
    if (have && have.ino === want.ino && have.dev === want.dev) continue;
    if (have && have.size === want.size && have.mtimeMs >= want.mtimeMs) continue; // an earlier copy
    await fsp.rm(dst, { force: true });
    try {
      await fsp.link(target, dst);
    } catch (e) {
      if (!['EXDEV', 'EPERM', 'EACCES', 'EMLINK'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      const tmp = `${dst}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      await fsp.copyFile(target, tmp, fsConstants.COPYFILE_FICLONE);
      await fsp.rename(tmp, dst);
    }
  }
}

/**
 * The hooked rewrite of `srcOnnxPath`, made on first use and cached on disk
 * (`<stem>.hooked-<key12>.onnx` + `.json` with the HookInfo).
 */
export async function hookedModelPath(srcOnnxPath: string, opts: HookCacheOptions): Promise<{ path: string; info: HookInfo; cached: boolean }> {
  const src = path.resolve(srcOnnxPath);
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(src);
  } catch (e) {
    throw new Error(`cannot read ONNX graph '${src}': ${(e as Error).message}`);
  }
  const key12 = cacheKey(bytes, opts).slice(0, 12);
  const srcDir = path.dirname(src);
  const base = `${path.basename(src).replace(/\.onnx$/i, '')}.hooked-${key12}`;
  const dirs = [srcDir, ...(opts.cacheDir ? [path.resolve(opts.cacheDir, key12)] : [])];
  for (const dir of opts.rebuild ? [] : dirs) {
    const onnx = path.join(dir, `${base}.onnx`);
    const info = await readInfo(path.join(dir, `${base}.json`), onnx, opts);
    if (info) return { path: onnx, info, cached: true };
  }

  let model: ModelProto;
  let info: HookInfo;
  try {
    model = decodeModel(bytes);
    info = hookDecodedModel(model, opts);
  } catch (e) {
    throw Object.assign(new Error(`${src}: ${(e as Error).message}`), { name: (e as Error).name });
  }
  const parts = encodeModelParts(model);
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const graph: GraphCheck = { bytes: parts.reduce((n, p) => n + p.length, 0), sha256: h.digest('hex') };
  const json = [new TextEncoder().encode(JSON.stringify({ ...info, graph }, null, 1) + '\n')];
  const write = async (dir: string) => {
    const onnx = path.join(dir, `${base}.onnx`);
    await writePartsAtomic(onnx, parts);
    await writePartsAtomic(path.join(dir, `${base}.json`), json); // written last: marks the pair complete
    return { path: onnx, info, cached: false };
  };
  try {
    return await write(srcDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!NOT_WRITABLE.has(code)) throw new Error(`cannot write the hooked graph next to '${src}': ${(e as Error).message}`);
    if (!opts.cacheDir) throw new Error(`the model folder '${srcDir}' is not writable (${code}) and no cacheDir was given for the hooked graph`);
  }
  const dir = dirs[1]!;
  try {
    await fsp.mkdir(dir, { recursive: true });
    await linkExternal(externalFiles(model, srcDir), srcDir, dir);
    return await write(dir);
  } catch (e) {
    throw new Error(`cannot write the hooked graph into cache folder '${dir}': ${(e as Error).message}`);
  }
}
