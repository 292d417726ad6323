// Shared by the experiment commands (extract, select, geometry, annotate, ablate): progress
// lines with an ETA on stderr, and option parsers for values the engine takes.
import type { CliIO } from '../command';
import { UsageError } from '../args';
import { formatDuration, type Progress } from '../../engine/experiments/progress';
import type { DecodingOptions } from '../../protocol/types';
import { num } from '../args';
import type { ParsedArgs } from '../args';
import type { FieldMap } from '../../engine/prompts/index';
import { parseShard, type Shard } from '../../engine/experiments/shard';
import { DEFAULT_MAX_NEW_TOKENS } from '../../protocol/decoding';

/**
 * A progress callback printing "phase  done/total  pct  ETA" to stderr: rewritten in place on a
 * terminal, otherwise at most one line every 2 s (and the last) so logs stay short.
 */
export function progressPrinter(io: Pick<CliIO, 'err'>): { onProgress: (p: Progress) => void; finish: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  let open = false;
  return {
    onProgress(p) {
      const now = Date.now();
      const end = p.done >= p.total;
      if (!tty && !end && now - last < 2000) return;
      if (tty && !end && now - last < 100) return;
      last = now;
      const pct = p.total ? ((100 * p.done) / p.total).toFixed(0).padStart(3) : '  -';
      const eta = p.etaMs !== undefined && !end ? `  ETA ${formatDuration(p.etaMs)}` : '';
      const line = `${p.phase}  ${p.done}/${p.total}  ${pct}%${eta}`;
      if (tty) {
        io.err(`\r\x1b[K${line}`);
        open = true;
        if (end) {
          io.err('\n');
          open = false;
        }
      } else io.err(line + '\n');
    },
    finish() {
      if (open) io.err('\n');
      open = false;
    },
  };
}

/** A positive integer option; `max` (from LIMITS) is checked here, before any work starts. */
export function positiveInt(args: ParsedArgs, name: string, fallback: number, max?: number): number {
  const v = num(args, name);
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  if (max !== undefined && v > max) throw new UsageError(`--${name} must be at most ${max}, got ${v}`);
  return v;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got '${value}'`);
  return value as T;
}

export function decodingFrom(args: ParsedArgs, maxNewTokens: number): DecodingOptions {
  const d: DecodingOptions = { maxNewTokens: positiveInt(args, 'max-new-tokens', maxNewTokens) };
  const t = num(args, 'temperature');
  if (t !== undefined) {
    if (t < 0) throw new UsageError(`--temperature must be ≥ 0, got ${t}`);
    d.temperature = t;
  }
  const s = num(args, 'seed');
  if (s !== undefined) d.seed = s;
  return d;
}

export const DECODING_OPTIONS = [
  { name: 'max-new-tokens', kind: 'number' as const, short: 'n', description: `tokens to generate per prompt (default ${DEFAULT_MAX_NEW_TOKENS})` },
  { name: 'temperature', kind: 'number' as const, description: 'sampling temperature (0 = greedy)' },
  { name: 'seed', kind: 'number' as const, description: 'sampling seed' },
];

/** --prompt-field/--system-field/--id-field: which dataset columns hold what (annotate, and any command reading a dataset). */
export const FIELD_OPTIONS = [
  { name: 'prompt-field', kind: 'string' as const, description: 'the column holding the prompt (default: the first of messages, prompt, forbidden_prompt, instruction, goal)' },
  { name: 'system-field', kind: 'string' as const, description: "the column holding the system prompt (default 'system')" },
  { name: 'id-field', kind: 'string' as const, description: "the column holding the row id (default 'id'; without one, a hash of the prompt)" },
];

export function fieldsFrom(args: ParsedArgs): FieldMap {
  const f: FieldMap = {};
  for (const [opt, key] of [['prompt-field', 'promptField'], ['system-field', 'systemField'], ['id-field', 'idField']] as const) {
    const v = args.options[opt];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${opt} needs a column name`);
    f[key] = v;
  }
  return f;
}

/** --shard K/N (see engine/experiments/shard.ts). */
export const SHARD_OPTION = { name: 'shard', kind: 'string' as const, description: 'K/N: run only shard K of N (1-based; the batches of --batch-size rows are dealt round-robin); output gets .shard-K-of-N before its extension; join with `refusal-lens merge`' };

export function shardFrom(args: ParsedArgs): Shard | undefined {
  const v = args.options.shard;
  if (v === undefined) return undefined;
  try {
    return parseShard(String(v));
  } catch (e) {
    throw new UsageError(`--shard: ${(e as Error).message}`);
  }
}
