// Finding model folders offline: the built-in model, folders named in settings, and ONNX
// exports and safetensors checkpoints in the local Hugging Face cache (hubCache.ts). Pure Node
// (no `vscode`) so tests run it directly.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SUPPORTED_ARCHS } from '../engine/checkpoint/arch';
import { isCheckpointFolder } from '../engine/checkpoint/files';
import { scanHubSnapshots } from './hubCache';
import { CHECKPOINT_DTYPES, ONNX_DTYPES } from '../protocol/dtypes';

export type ModelSource = 'builtin' | 'settings' | 'hf-cache';

export interface ModelCandidate {
  label: string;
  folder: string;
  source: ModelSource;
  /** dtype variants present, from the graph file names (model.onnx → fp32, model_fp16.onnx → fp16 …); a checkpoint's: what it is built in. */
  dtypes: string[];
  /** an ONNX export, or a safetensors checkpoint whose graph is built on first load */
  format?: 'onnx' | 'checkpoint';
  /** hub-cache entries: bytes on disk (blobs counted once) */
  sizeBytes?: number;
  /** checkpoints: the tensors' stored dtype(s), e.g. 'BF16' */
  storedDtype?: string;
}

// The lists of what the engine loads and builds are the protocol's (one home, src/protocol/dtypes.ts).
const ENGINE_DTYPES: readonly string[] = ONNX_DTYPES;

/** Why a folder is not a usable model folder, or undefined when it is. */
export function modelFolderProblem(folder: string): string | undefined {
  if (!existsSync(folder)) return `${folder} does not exist`;
  if (!isDir(folder)) return `${folder} is not a folder`;
  if (!existsSync(path.join(folder, 'config.json'))) return `${folder} has no config.json`;
  if (!existsSync(path.join(folder, 'tokenizer.json'))) return `${folder} has no tokenizer.json`;
  const variants = graphVariants(folder);
  if (isCheckpointFolder(folder)) {
    const type = modelType(folder);
    if (!(SUPPORTED_ARCHS as readonly string[]).includes(type ?? '')) {
      return `${folder} is a safetensors checkpoint of model_type ${JSON.stringify(type ?? null)}, which is not built (supported: ${SUPPORTED_ARCHS.join(', ')})`;
    }
    return undefined;
  }
  if (variants.length === 0) return `${folder} has no onnx/*.onnx graph and no safetensors checkpoint (config.json + model.safetensors)`;
  if (!variants.some((v) => ENGINE_DTYPES.includes(v))) return `${folder} has only ${variants.join(', ')} graphs; the engine loads ${ENGINE_DTYPES.join(', ')}`;
  return undefined;
}

/** dtype names of the engine-loadable graphs in `<folder>/onnx/`, and those a checkpoint beside them is built in. */
export function dtypeVariants(folder: string): string[] {
  const graphs = graphVariants(folder).filter((v) => ENGINE_DTYPES.includes(v));
  return isCheckpointFolder(folder) ? [...new Set([...graphs, ...CHECKPOINT_DTYPES])].sort() : graphs;
}

function modelType(folder: string): string | undefined {
  try {
    const t = (JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as { model_type?: unknown }).model_type;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

/** dtype names of every model graph in `<folder>/onnx/`, rewritten graph caches excluded. */
function graphVariants(folder: string): string[] {
  const dir = path.join(folder, 'onnx');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    if (!n.endsWith('.onnx') || n.includes('.hooked-')) continue;
    const m = /^(?:decoder_)?model(?:_(.+))?\.onnx$/.exec(n);
    if (m) out.push(m[1] ?? 'fp32');
  }
  return [...new Set(out)].sort();
}

/** The hub folder of the local Hugging Face cache: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hfHubDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'huggingface', 'hub');
}

/**
 * Snapshots in the hub cache (`models--org--name/snapshots/<rev>/`) that open: ONNX exports and
 * safetensors checkpoints of a supported architecture, newest first per repo. Checkpoints that
 * cannot be read (an unfinished download) are left out, with why in `problems`.
 */
export function scanHfCache(hubDir: string, problems: string[] = []): ModelCandidate[] {
  const { snapshots, problems: found } = scanHubSnapshots(hubDir, (f) => graphVariants(f).length > 0 && !modelFolderProblem(f));
  problems.push(...found);
  return snapshots.map((s) => ({
    label: `${s.repo} @ ${s.rev.slice(0, 8)}`,
    folder: s.folder,
    source: 'hf-cache' as const,
    dtypes: dtypeVariants(s.folder),
    format: s.format,
    sizeBytes: s.sizeBytes,
    ...(s.storedDtype ? { storedDtype: s.storedDtype } : {}),
  }));
}

/** Every candidate, built-in first, then settings, then the HF cache; duplicates (same folder) removed. */
export function listModels(builtinFolder: string | undefined, extraFolders: string[], hubDir: string): { models: ModelCandidate[]; problems: string[] } {
  const models: ModelCandidate[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (c: ModelCandidate) => {
    const key = path.resolve(c.folder);
    if (seen.has(key)) return;
    seen.add(key);
    models.push(c);
  };
  if (builtinFolder && !modelFolderProblem(builtinFolder)) {
    add({ label: 'Built-in model organism', folder: builtinFolder, source: 'builtin', dtypes: dtypeVariants(builtinFolder) });
  }
  for (const f of extraFolders) {
    const problem = modelFolderProblem(f);
    if (problem) problems.push(`refusalLens.model.extraFolders: ${problem}`);
    else add({ label: path.basename(f), folder: f, source: 'settings', dtypes: dtypeVariants(f), format: graphVariants(f).length ? 'onnx' : 'checkpoint' });
  }
  for (const c of scanHfCache(hubDir, problems)) add(c);
  return { models, problems };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
