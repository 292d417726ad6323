// The refusal receipt: what an auditor needs to rerun and check an ablation result. Everything
// that identifies the inputs (model, tokenizer, sets, axes, interventions, decoding) and the
// per-condition label counts with Wilson intervals. `hash` covers all of it except `created`,
// so the same inputs give the same receipt hash (and, minus `created`, the same bytes).
import { createHash } from 'node:crypto';
import { LABELS, type DecodingOptions, type Intervention, type Label } from '../../protocol/types';
import { mean, wilson } from './stats';

export const RECEIPT_SCHEMA = 'refusal-lens.receipt/1';
export { LABELS };

export interface RateCell {
  count: number;
  rate: number;
  /** 95% Wilson interval */
  lo: number;
  hi: number;
}

export interface ConditionResult {
  name: string;
  set: string;
  n: number;
  /** Distinct system prompts of the prompts run ('' = none), in order of first use. */
  systemPrompts: string[];
  interventions: Intervention[];
  rates: Record<Label, RateCell>;
  meanRefusalScore: number;
}

export interface SweepPoint extends ConditionResult {
  /** Layers the moving intervention covered at this point. */
  window: number[];
}

export interface SweepResult {
  name: string;
  set: string;
  /** The intervention moved along the layers (without layers). */
  moving: Record<string, unknown>;
  size: number;
  stride: number;
  points: SweepPoint[];
}

export interface ReceiptSet {
  name: string;
  source: string;
  sha256: string;
  /** Rows run (after `limit`). */
  count: number;
  /** Dataset lines skipped as unreadable, with their messages. */
  skipped: string[];
  limit?: number;
  system?: string;
}

export type ReceiptAxis =
  | { name: string; kind: 'file'; file: string; sha256: string; method: string; positions: string }
  | { name: string; kind: 'random'; randomLike: string; seed: number; sha256: string };

export interface Receipt {
  schema: typeof RECEIPT_SCHEMA;
  title: string;
  description?: string;
  toolVersion: string;
  conditionFile: { file: string; sha256: string };
  /** `device`: what the graphs ran on (DeviceReport.device, e.g. "cpu"); absent in receipts written before it. */
  model: { name: string; modelType: string; layers: number; dModel: number; dtype: string; graphHash: string; tokenizerHash: string; device?: string };
  sets: ReceiptSet[];
  axes: ReceiptAxis[];
  decoding: DecodingOptions;
  batchSize: number;
  /**
   * The model-based degenerate check as run (labels/likelihood.ts): the model's calibrated
   * reference (nats per token) and the margins below it; absent in receipts written before it.
   */
  degenerateCheck?: { reference: number; margins: { floor: number; unfinished: number; withDefect: number } };
  conditions: ConditionResult[];
  sweeps: SweepResult[];
  /** sha256 of the canonical JSON of every field but `hash` and `created`. */
  hash: string;
  /** ISO time of the run; excluded from `hash`. */
  created: string;
}

/** Counts, Wilson intervals and the mean refusal score of one condition's outputs. */
export function summarise(labels: readonly Label[], scores: readonly number[]): { n: number; rates: Record<Label, RateCell>; meanRefusalScore: number } {
  const n = labels.length;
  const rates = {} as Record<Label, RateCell>;
  for (const l of LABELS) {
    const count = labels.filter((x) => x === l).length;
    const w = wilson(count, n);
    rates[l] = { count, rate: n ? count / n : 0, lo: w.lo, hi: w.hi };
  }
  // Scores can be ±Infinity only for degenerate token sets; keep the mean finite-or-null in JSON.
  return { n, rates, meanRefusalScore: mean(scores) };
}

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

export function receiptHash(r: Omit<Receipt, 'hash' | 'created'> & { hash?: string; created?: string }): string {
  const { hash: _h, created: _c, ...content } = r;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** The receipt as stable, readable JSON: `created` last so diffs of two runs show one line. */
export function receiptJson(r: Receipt): string {
  const { created, ...rest } = r;
  return JSON.stringify({ ...(sortKeys(rest) as object), created }, null, 2) + '\n';
}
