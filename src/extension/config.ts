// Settings, read in one place with their defaults and checks. Names match package.json's
// `contributes.configuration`; a wrong value is reported with the setting's name, not thrown.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEVICES, isDeviceSetting, type DeviceSetting } from '../protocol/device';
import { DEFAULT_ANNOTATE_BATCH } from '../protocol/annotate';
import { LIMITS } from '../protocol/limits';
import { DEFAULT_MAX_NEW_TOKENS } from '../protocol/decoding';

export const SECTION = 'refusalLens';

export interface Settings {
  /** '' = the built-in model. */
  modelFolder: string;
  /** 'auto' = let the engine pick. */
  dtype: string;
  /** 0 = onnxruntime's default. */
  threads: number;
  /** 'auto' = the platform's GPU when one starts, else the CPU. */
  device: DeviceSetting;
  extraModelFolders: string[];
  /** '' = the extension's global storage: where checkpoint and hooked graphs are built. */
  modelCacheDir: string;
  /** [] = the model folder's shipped axes (axes/*.safetensors). */
  axesFiles: string[];
  maxNewTokens: number;
  rerunOnSave: boolean;
  /** Annotate Dataset: results file pattern ('' = `<name>.results.jsonl` next to the dataset). */
  annotateResultsFile: string;
  /** Annotate Dataset: layers to record, prompt-file layer syntax. */
  annotateLayers: string;
  /** Annotate Dataset: projection positions to record. */
  annotatePositions: string[];
  annotateBatchSize: number;
  /** Layer of the projection shown inline on dataset lines (-1 = the last recorded). */
  annotateInlineLayer: number;
}

export function readSettings(problems: string[] = []): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const str = (key: string, dflt: string) => {
    const v = c.get<unknown>(key, dflt);
    if (typeof v === 'string') return v;
    problems.push(`${SECTION}.${key} must be a string`);
    return dflt;
  };
  const int = (key: string, dflt: number, min: number, max: number) => {
    const v = c.get<unknown>(key, dflt);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    problems.push(`${SECTION}.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return dflt;
  };
  const list = (key: string) => {
    const v = c.get<unknown>(key, []);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v as string[]).filter((x) => x.trim() !== '');
    problems.push(`${SECTION}.${key} must be a list of paths`);
    return [];
  };
  return {
    modelFolder: str('model.folder', '').trim(),
    dtype: str('model.dtype', 'auto'),
    threads: int('engine.threads', 0, 0, 256),
    device: ((v) => {
      if (isDeviceSetting(v)) return v;
      problems.push(`${SECTION}.engine.device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(v)}`);
      return 'auto' as const;
    })(c.get<unknown>('engine.device', 'auto')),
    extraModelFolders: list('model.extraFolders'),
    modelCacheDir: str('model.cacheDir', '').trim(),
    axesFiles: list('axes.files'),
    maxNewTokens: int('decoding.maxNewTokens', DEFAULT_MAX_NEW_TOKENS, 1, 4096),
    rerunOnSave: c.get<boolean>('rerunOnSave', false) === true,
    annotateResultsFile: str('annotate.resultsFile', '').trim(),
    annotateLayers: str('annotate.layers', 'all').trim() || 'all',
    annotatePositions: list('annotate.positions'),
    annotateBatchSize: int('annotate.batchSize', DEFAULT_ANNOTATE_BATCH, 1, LIMITS.batchSize),
    annotateInlineLayer: int('annotate.inlineLayer', -1, -1, 4096),
  };
}

/** Expands `~` and `${workspaceFolder}` and resolves relative paths against the first workspace folder. */
export function resolvePath(p: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '';
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let out = p.replace(/^~(?=$|[\\/])/, home);
  if (ws) out = out.replace(/\$\{workspaceFolder\}/g, ws);
  if (!path.isAbsolute(out) && ws) out = path.join(ws, out);
  return out;
}
