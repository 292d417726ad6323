// Splitting a dataset over machines. The unit is annotate's batch: the dataset's rows in fixed
// groups of `batchSize` in file order (as annotate and its resume already batch), and group g
// (0-based) belongs to shard (g mod N) + 1. Not rows by a hash of their id: a row's projections
// depend on the rows batched with it (padding and summation order move the 6th significant
// digit: -0.928877 alone vs -0.928876 in a batch, measured on the built-in model), so only whole
// groups give each row the batch it gets on one machine, and the merged shards equal a
// one-machine run byte for byte. Each shard is computed from the dataset alone, independent of
// the other shards.
import * as path from 'node:path';

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

/** The shard (1-based) of batch group `g` (0-based). */
export function shardOfGroup(g: number, n: number): number {
  return (g % n) + 1;
}

/** The rows of shard `s`: whole groups of `batchSize` consecutive rows, in dataset order. */
export function shardRows<T>(rows: readonly T[], batchSize: number, s: Shard): T[] {
  const out: T[] = [];
  for (let g = 0; g * batchSize < rows.length; g++) {
    if (shardOfGroup(g, s.n) === s.k) out.push(...rows.slice(g * batchSize, (g + 1) * batchSize));
  }
  return out;
}

/** results.jsonl → results.shard-2-of-4.jsonl; receipt-x → receipt-x.shard-2-of-4. */
export function shardPath(file: string, s: Shard): string {
  const ext = path.extname(file);
  const tag = `.shard-${s.k}-of-${s.n}`;
  return ext && ext.length <= 8 ? file.slice(0, -ext.length) + tag + ext : file + tag;
}

export const shardLabel = (s: Shard) => `${s.k}/${s.n}`;
