// The local Hugging Face hub cache as Select Model… lists it: one entry per snapshot
// (`models--ORG--NAME/snapshots/REV/`) that Refusal Lens opens, an ONNX export or a safetensors
// checkpoint of a supported architecture, with its size on disk and stored dtype. Snapshot files
// are symlinks into `../../blobs/`: sizes come from the blobs, each counted once. Only config.json
// and the safetensors headers are read. Pure Node (no `vscode`) so tests run it directly.
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { SUPPORTED_ARCHS } from '../engine/checkpoint/arch';
import { isCheckpointFolder, readCheckpointFiles } from '../engine/checkpoint/files';

export interface HubSnapshot {
  /** ORG/NAME */
  repo: string;
  rev: string;
  folder: string;
  format: 'onnx' | 'checkpoint';
  /** bytes on disk of the snapshot's files (blobs resolved, each once) */
  sizeBytes: number;
  /** checkpoints: the tensors' stored dtypes by bytes, largest first, e.g. 'BF16' or 'BF16+F32' */
  storedDtype?: string;
  /** checkpoints: config.json model_type */
  modelType?: string;
  mtimeMs: number;
}

/**
 * Every snapshot folder of every model repo, newest first within a repo; `accept` decides
 * whether an ONNX snapshot is usable (models.ts's folder check). Broken checkpoints (an
 * unfinished download, a bad header) are left out with a problem saying why.
 */
export function scanHubSnapshots(hubDir: string, acceptOnnx: (folder: string) => boolean): { snapshots: HubSnapshot[]; problems: string[] } {
  const snapshots: HubSnapshot[] = [];
  const problems: string[] = [];
  let repos: string[];
  try {
    repos = readdirSync(hubDir).filter((n) => n.startsWith('models--'));
  } catch {
    return { snapshots, problems };
  }
  for (const repoDir of repos.sort()) {
    const snapDir = path.join(hubDir, repoDir, 'snapshots');
    let revs: string[];
    try {
      revs = readdirSync(snapDir);
    } catch {
      continue;
    }
    const repo = repoDir.slice('models--'.length).split('--').join('/');
    const dated = revs.map((rev) => ({ rev, folder: path.join(snapDir, rev), t: mtime(path.join(snapDir, rev)) })).sort((a, b) => b.t - a.t);
    for (const { rev, folder, t } of dated) {
      const base = { repo, rev, folder, mtimeMs: t };
      if (acceptOnnx(folder)) {
        snapshots.push({ ...base, format: 'onnx', sizeBytes: diskSize(folder) });
        continue;
      }
      if (!isCheckpointFolder(folder)) continue;
      const modelType = configModelType(folder);
      if (!modelType || !(SUPPORTED_ARCHS as readonly string[]).includes(modelType)) continue; // not a chat model Refusal Lens builds
      try {
        const files = readCheckpointFiles(folder);
        snapshots.push({ ...base, format: 'checkpoint', sizeBytes: diskSize(folder), storedDtype: storedDtype(files.tensors.values()), modelType });
      } catch (e) {
        problems.push(`Hugging Face cache: ${repo} @ ${rev.slice(0, 8)} is left out: ${(e as Error).message}`);
      }
    }
  }
  return { snapshots, problems };
}

/** Bytes on disk under `folder`, following symlinks, each file (device + inode) counted once. */
export function diskSize(folder: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      let st;
      try {
        st = statSync(p); // follows the blob symlink
      } catch {
        continue; // a dangling link (blob removed)
      }
      if (st.isDirectory()) {
        // a symlinked folder is not walked: hub snapshots link files, not folders
        if (depth < 4 && !lstatSync(p).isSymbolicLink()) walk(p, depth + 1);
        continue;
      }
      if (!st.isFile()) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total += st.size;
    }
  };
  walk(folder, 0);
  return total;
}

function storedDtype(tensors: Iterable<{ dtype: string; length: number }>): string {
  const bytes = new Map<string, number>();
  for (const t of tensors) bytes.set(t.dtype, (bytes.get(t.dtype) ?? 0) + t.length);
  return [...bytes].sort((a, b) => b[1] - a[1]).map(([d]) => d).join('+');
}

function configModelType(folder: string): string | undefined {
  try {
    const c = JSON.parse(readFileSync(realpathSync(path.join(folder, 'config.json')), 'utf8')) as { model_type?: unknown };
    return typeof c.model_type === 'string' ? c.model_type : undefined;
  } catch {
    return undefined;
  }
}

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** "1.4 GiB", "230 MiB", "12 KiB": for the picker. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  return `${Math.max(1, Math.round(n / 1024))} KiB`;
}
