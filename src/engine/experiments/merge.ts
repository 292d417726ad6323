// Joining the shards of an annotate run (`annotate --shard K/N`) into the file one machine would
// have written. Each shard's `.run.json` records its settings and its shard; every shard of 1..N
// must be there exactly once with the same settings (model, axes, layers, positions,
// interventions, decoding, batch size), and no row may be in two shards. Order: a one-machine run writes the dataset's order, and every row records its place in the
// dataset (`line`: JSONL line, or CSV/Parquet record number), so the merge sorts by it and needs
// not re-read the dataset. The merged sidecar is the shards' settings without `shard`: byte for
// byte what the one-machine run writes. Inputs are only read; a shard still being written (its
// lock) or cut short (a half line) is refused.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PROGRESS_FILE, PROGRESS_SCHEMA } from './ablate-progress';
import * as path from 'node:path';
import { canonicalJson } from './receipt';
import { assertOwnResultsFile, isResultsLine, replaceAtomically, RUN_SETTINGS_SCHEMA, sidecarPathFor } from './results-file';
import { lockHolder, lockPathFor } from '../io/lock';
import { shardLabel, type Shard } from './shard';

export class MergeError extends Error {}

interface ShardFile {
  file: string;
  shard: Shard;
  settings: Record<string, unknown>;
  rows: { id: string; line: number; text: string }[];
}

function readShard(file: string): ShardFile {
  const sidecar = sidecarPathFor(file);
  if (!existsSync(file)) throw new MergeError(`${file}: no such file`);
  if (lockHolder(file)) throw new MergeError(`${file}: a run is still writing it (lock file ${lockPathFor(file)}); wait for it to finish`);
  let settings: Record<string, unknown>;
  try {
    settings = JSON.parse(readFileSync(sidecar, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new MergeError(`${file}: cannot read its settings file ${path.basename(sidecar)} (${(e as Error).message}); only annotate results with their .run.json can be merged`);
  }
  if (settings?.schema !== RUN_SETTINGS_SCHEMA) throw new MergeError(`${sidecar}: not an annotate run file (no "schema": "${RUN_SETTINGS_SCHEMA}")`);
  const s = settings.shard as Shard | undefined;
  if (!s || !Number.isInteger(s.k) || !Number.isInteger(s.n) || s.k < 1 || s.k > s.n) {
    throw new MergeError(`${file}: not a shard (its ${path.basename(sidecar)} records no "shard"); merge joins the outputs of annotate --shard K/N`);
  }
  const text = readFileSync(file, 'utf8');
  if (text.length && !text.endsWith('\n')) throw new MergeError(`${file}: ends in a half-written line (an interrupted run); run that shard again to finish it, then merge`);
  const rows: ShardFile['rows'] = [];
  const seen = new Set<string>();
  text.split('\n').slice(0, -1).forEach((line, i) => {
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      x = undefined;
    }
    if (!isResultsLine(x)) throw new MergeError(`${file}:${i + 1}: not a results row`);
    const { id, line: at } = x as { id: string; line: number };
    if (seen.has(id)) throw new MergeError(`${file}:${i + 1}: id '${id}' appears twice`);
    seen.add(id);
    rows.push({ id, line: at, text: line });
  });
  return { file, shard: { k: s.k, n: s.n }, settings, rows };
}

/** The settings that differ between two run files, by top-level key. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== 'shard' && k !== 'device').sort();
  return keys.filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));
}

/**
 * The shards are one whole split of one run: the same N, the same run (`otherRun` says how two
 * differ, checked against the first), each K once, none missing. `shown` writes a file in the
 * missing-shard message.
 */
function checkShardSet<S extends { file: string; shard: Shard }>(shards: S[], otherRun: (s: S) => string | undefined, shown: (file: string) => string): void {
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    if (s.shard.n !== first.shard.n) throw new MergeError(`${s.file} is shard ${shardLabel(s.shard)} but ${first.file} is shard ${shardLabel(first.shard)}: shards of different splits cannot be merged`);
    const problem = otherRun(s);
    if (problem) throw new MergeError(problem);
  }
  const byK = new Map<number, string>();
  for (const s of shards) {
    const other = byK.get(s.shard.k);
    if (other) throw new MergeError(`${other} and ${s.file} are both shard ${shardLabel(s.shard)} (overlapping shards)`);
    byK.set(s.shard.k, s.file);
  }
  const n = first.shard.n;
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !byK.has(k));
  if (missing.length) throw new MergeError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} (given: ${shards.map((s) => shown(s.file)).join(', ')})`);
}

export interface MergeSummary {
  out: string;
  shards: number;
  rows: number;
}

export function mergeAnnotateShards(out: string, inputs: string[]): MergeSummary {
  if (!inputs.length) throw new MergeError('give the shard files to merge');
  const resolved = inputs.map((f) => path.resolve(f));
  if (resolved.includes(path.resolve(out))) throw new MergeError(`${out}: the output must not be one of the inputs`);
  const shards = resolved.map(readShard);
  const first = shards[0]!;
  checkShardSet(shards, (s) => {
    const diff = differences(first.settings, s.settings);
    return diff.length ? `${s.file} was made with different settings than ${first.file} (${diff.join(', ')}); merge only shards of one run` : undefined;
  }, path.basename);
  const all = shards.flatMap((s) => s.rows.map((r) => ({ ...r, file: s.file })));
  const holder = new Map<string, string>();
  for (const r of all) {
    const other = holder.get(r.id);
    if (other) throw new MergeError(`row '${r.id}' is in both ${other} and ${r.file} (overlapping shards: were they split with different batch sizes or datasets?)`);
    holder.set(r.id, r.file);
  }
  all.sort((a, b) => a.line - b.line || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < all.length; i++) {
    if (all[i].line === all[i - 1].line) throw new MergeError(`${all[i - 1].file} and ${all[i].file} both hold a row from dataset line/row ${all[i].line} ('${all[i - 1].id}', '${all[i].id}'): shards of different datasets?`);
  }
  assertOwnResultsFile(out);
  const { shard: _drop, device: _device, ...rest } = first.settings;
  // `device` records where rows ran (not a setting): each device the shards ran on, once.
  const devices = [...new Set(shards.map((s) => s.settings.device).filter((d): d is string => typeof d === 'string'))];
  const settings = { ...rest, ...(devices.length ? { device: devices.join(', ') } : {}) };
  replaceAtomically(out, all.map((r) => r.text));
  writeFileSync(sidecarPathFor(out), JSON.stringify(JSON.parse(canonicalJson(settings)), null, 2) + '\n');
  return { out, shards: first.shard.n, rows: all.length };
}

/**
 * Joins the progress files of `ablate --shard K/N` folders into `outDir`/progress.jsonl: every
 * shard 1..N once, all saved under one run key (condition file, sets, axes, model, decoding,
 * batch size). A torn last line (a killed shard) is left out; the follow-up `ablate --out
 * outDir` generates whatever batch is missing and resumes the rest.
 */
export function mergeAblateShards(outDir: string, inputs: string[]): MergeSummary & { batches: number } {
  const target = path.join(outDir, PROGRESS_FILE);
  if (existsSync(target)) throw new MergeError(`${target} exists; merge into a new folder (or remove that file)`);
  const shards = inputs.map((dir) => {
    const file = path.join(dir, PROGRESS_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new MergeError(`${file}: cannot read it (${(e as Error).message}); give the folders written by ablate --shard K/N`);
    }
    const lines = text.split('\n');
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(lines[0]) as Record<string, unknown>;
    } catch {
      throw new MergeError(`${file}:1: not an ablation progress header`);
    }
    if (header.schema !== PROGRESS_SCHEMA) throw new MergeError(`${file}:1: not an ablation progress file (no "schema": "${PROGRESS_SCHEMA}")`);
    const s = header.shard as Shard | undefined;
    if (!s || !Number.isInteger(s.k) || !Number.isInteger(s.n)) throw new MergeError(`${file}: not a shard's progress (no "shard" in its header); merge joins the folders of ablate --shard K/N`);
    // Whole lines only: the last element is '' after a final newline, or a torn tail.
    return { file, header, shard: s, batches: lines.slice(1, -1).filter((l) => l.trim() !== '') };
  });
  if (!shards.length) throw new MergeError('give the shard folders to merge');
  const first = shards[0]!;
  checkShardSet(shards, (s) =>
    s.header.key !== first.header.key
      ? `${s.file} was saved by another run than ${first.file} (condition file, prompt sets, axes, model, decoding or batch size differ); merge only shards of one run`
      : undefined, (f) => f);
  const { shard: _drop, ...header } = first.header;
  const lines = [JSON.stringify(header), ...shards.flatMap((s) => s.batches)];
  mkdirSync(outDir, { recursive: true });
  replaceAtomically(target, lines);
  return { out: outDir, shards: first.shard.n, rows: 0, batches: lines.length - 1 };
}
