// Splitting a dataset over machines: row `id` belongs to shard K of N (1-based) when the first 8
// hex digits of sha256(id), as an integer, mod N is K−1. The split depends on the id alone, not
// on row order or on the other shards, so every machine computes its part independently, and a
// row's shard survives edits elsewhere in the dataset.
import * as path from 'node:path';
import { sha256Text } from '../prompts/sha256';

export interface Shard {
  /** 1-based. */
  k: number;
  n: number;
}

/** More shards than a job array can hold is a typo. */
const MAX_SHARDS = 1_000_000;

/** "K/N" → Shard; throws with the reason. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`'${text}' is not K/N (e.g. 2/8: the second of 8 shards)`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > MAX_SHARDS) throw new Error(`N in '${text}' must be between 1 and ${MAX_SHARDS}`);
  if (k < 1 || k > n) throw new Error(`K in '${text}' must be between 1 and ${n} (shards are numbered from 1)`);
  return { k, n };
}

export function shardOf(id: string, n: number): number {
  return (parseInt(sha256Text(id).slice(0, 8), 16) % n) + 1;
}

export function inShard(id: string, s: Shard): boolean {
  return shardOf(id, s.n) === s.k;
}

/** results.jsonl → results.shard-2-of-4.jsonl; receipt-x → receipt-x.shard-2-of-4. */
export function shardPath(file: string, s: Shard): string {
  const ext = path.extname(file);
  const tag = `.shard-${s.k}-of-${s.n}`;
  return ext && ext.length <= 8 ? file.slice(0, -ext.length) + tag + ext : file + tag;
}

export const shardLabel = (s: Shard) => `${s.k}/${s.n}`;
