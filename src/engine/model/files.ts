// Which ONNX graph of a model folder to load: onnx/model.onnx or a dtype variant
// (model_fp16.onnx, model_q4.onnx, …), as onnx-community / Optimum exports lay them out.
// External weights (*.onnx_data) are never read here: ONNX Runtime resolves them by path.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { MODEL_DTYPES, ONNX_DTYPES, type ModelDtype } from '../../protocol/dtypes.js';

/** the ONNX export variants this file finds (src/protocol/dtypes.ts) */
export const DTYPES = ONNX_DTYPES;
export type Dtype = (typeof DTYPES)[number];

const FILE_OF: Record<Dtype, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  quantized: 'model_quantized.onnx',
};

export function checkDtype(dtype: string): Dtype {
  if ((DTYPES as readonly string[]).includes(dtype)) return dtype as Dtype;
  if (dtype === 'q8') {
    throw new Error('dtype "q8" is built from safetensors checkpoint folders only; an ONNX export\'s 8-bit variant is "quantized" (onnx/model_quantized.onnx)');
  }
  throw new Error(`unsupported dtype "${dtype}": use one of ${DTYPES.join(', ')}`);
}

/** Any dtype some model folder can be opened in (checked against the folder's kind later). */
export function checkModelDtype(dtype: string): ModelDtype {
  if ((MODEL_DTYPES as readonly string[]).includes(dtype)) return dtype as ModelDtype;
  throw new Error(`unsupported dtype "${dtype}": use one of ${MODEL_DTYPES.join(', ')} (ONNX exports: ${ONNX_DTYPES.join(', ')}; checkpoints: fp32, fp16, q8, q4)`);
}

/** The folder holding the graphs: `<folder>/onnx/` in the standard layout, else the folder itself. */
function graphDirs(folder: string): string[] {
  const dirs: string[] = [];
  const sub = join(folder, 'onnx');
  if (isDir(sub)) dirs.push(sub);
  dirs.push(folder);
  return dirs;
}

/** The file names of each graph folder (unreadable folders left out). */
function graphDirListings(folder: string): { dir: string; names: string[] }[] {
  const out: { dir: string; names: string[] }[] = [];
  for (const dir of graphDirs(folder)) {
    try {
      out.push({ dir, names: readdirSync(dir) });
    } catch {
      // not readable: as if absent
    }
  }
  return out;
}

/** The dtype variants present, as dtype → path. */
export function availableGraphs(folder: string): Map<Dtype, string> {
  const found = new Map<Dtype, string>();
  for (const { dir, names } of graphDirListings(folder)) {
    for (const d of DTYPES) {
      if (!found.has(d) && names.includes(FILE_OF[d])) found.set(d, join(dir, FILE_OF[d]));
    }
  }
  return found;
}

export function selectGraph(folder: string, dtype: string): { dtype: Dtype; path: string } {
  const d = checkDtype(dtype);
  const found = availableGraphs(folder);
  const path = found.get(d);
  if (path) return { dtype: d, path };
  const list = [...found].map(([k, p]) => `${k} (${p.slice(folder.length).replace(/^[\\/]/, '')})`);
  const split = list.length ? undefined : splitDecoder(folder);
  throw new Error(
    `model folder ${folder}: no ${d} graph (expected onnx/${FILE_OF[d]}); ` +
      (list.length
        ? `available: ${list.join(', ')}`
        : split
          ? `it has ${split}, the older split-decoder export (prefill and decode in separate graphs, or merged behind an If on use_cache_branch), ` +
            'which is not supported: use a single-graph export with past_key_values inputs (onnx/model.onnx, the onnx-community layout)'
          : 'no ONNX graph found (expected onnx/model.onnx)'),
  );
}

/** The first decoder_model*.onnx / decoder_with_past_model*.onnx of the folder, if any (older Optimum / Xenova exports). */
function splitDecoder(folder: string): string | undefined {
  for (const { dir, names } of graphDirListings(folder)) {
    const hit = names.filter((n) => /^decoder_(?:with_past_)?model(?:_merged)?(?:_[a-z0-9]+)?\.onnx$/.test(n)).sort()[0];
    if (hit) return `${dir === folder ? '' : 'onnx/'}${hit}`;
  }
  return undefined;
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
