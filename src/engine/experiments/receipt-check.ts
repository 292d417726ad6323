// The one place that decides whether a parsed receipt.json has the shape the renderers need
// (issue 10): every field they read, with its path in the message, so Show Refusal Receipt (and
// anything else reading a receipt from disk) says what is wrong instead of throwing mid-render.
import { readFileSync, statSync } from 'node:fs';
import type { Receipt } from './receipt';
import { LABELS } from './receipt';
import { fieldsOf, isInterventionKind, kindList, type FieldType } from '../../protocol/interventions';

type Check = (v: unknown, at: string) => string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v, at) => (typeof v === 'string' ? undefined : `${at}: expected a string, got ${kind(v)}`);
const num: Check = (v, at) => (typeof v === 'number' ? undefined : `${at}: expected a number, got ${kind(v)}`);
// JSON turns NaN and ±Infinity into null: a mean refusal score may be null.
const numOrNull: Check = (v, at) => (v === null || typeof v === 'number' ? undefined : `${at}: expected a number or null, got ${kind(v)}`);
const int: Check = (v, at) => (Number.isInteger(v) ? undefined : `${at}: expected an integer, got ${kind(v)}`);
const optional = (c: Check): Check => (v, at) => (v === undefined ? undefined : c(v, at));

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

const obj = (fields: Record<string, Check>): Check => (v, at) => {
  if (!isObj(v)) return `${at || 'the receipt'}: expected an object, got ${kind(v)}`;
  for (const [k, c] of Object.entries(fields)) {
    const p = c(v[k], at ? `${at}.${k}` : k);
    if (p) return v[k] === undefined ? `${at ? `${at}.${k}` : k}: missing` : p;
  }
  return undefined;
};

const list = (c: Check): Check => (v, at) => {
  if (!Array.isArray(v)) return `${at}: expected a list, got ${kind(v)}`;
  for (let i = 0; i < v.length; i++) {
    const p = c(v[i], `${at}[${i}]`);
    if (p) return p;
  }
  return undefined;
};

// The shape the registry declares for each kind (values only; the renderers need no more).
const FIELD_CHECK: { [T in FieldType]: Check } = { axis: str, axes: list(str), number: num, bound: num, layers: list(int), layer: int, positions: str };
const intervention: Check = (v, at) => {
  if (!isObj(v)) return `${at}: expected an object, got ${kind(v)}`;
  if (!isInterventionKind(v.kind)) return `${at}.kind: expected ${kindList()}, got ${kind(v.kind)}`;
  return obj(Object.fromEntries(fieldsOf(v.kind).map((f) => [f.name, f.required ? FIELD_CHECK[f.type] : optional(FIELD_CHECK[f.type])])))(v, at);
};

const rate = obj({ count: int, rate: num, lo: num, hi: num });
const conditionFields = {
  name: str,
  set: str,
  n: int,
  systemPrompts: list(str),
  interventions: list(intervention),
  rates: obj(Object.fromEntries(LABELS.map((l) => [l, rate]))),
  meanRefusalScore: numOrNull,
};
const condition = obj(conditionFields);

const receiptShape = obj({
  title: str,
  description: optional(str),
  toolVersion: str,
  conditionFile: obj({ file: str, sha256: str }),
  model: obj({ name: str, modelType: str, layers: int, dModel: int, dtype: str, graphHash: str, tokenizerHash: str, device: optional(str) }),
  sets: list(obj({ name: str, source: str, sha256: str, count: int, skipped: list(str), limit: optional(int), system: optional(str) })),
  axes: list((v, at) => (isObj(v) && v.kind === 'random' ? obj({ name: str, randomLike: str, seed: num, sha256: str })(v, at) : obj({ name: str, file: str, sha256: str, method: str, positions: str })(v, at))),
  decoding: obj({ maxNewTokens: int }),
  batchSize: int,
  degenerateCheck: optional(obj({ reference: num, margins: obj({ floor: num, unfinished: num, withDefect: num }) })),
  conditions: list(condition),
  sweeps: list(obj({ name: str, set: str, moving: (v, at) => (isObj(v) ? undefined : `${at}: expected an object, got ${kind(v)}`), size: int, stride: int, points: list(obj({ ...conditionFields, window: list(int) })) })),
  hash: str,
  created: str,
});

/** What is wrong with `x` as a refusal receipt (the first problem, with its field path), or undefined. */
export function receiptProblem(x: unknown): string | undefined {
  if (!isObj(x)) return `not a JSON object (got ${kind(x)})`;
  if (typeof x.schema !== 'string' || !x.schema.startsWith('refusal-lens.receipt/')) return `not a refusal receipt (schema ${JSON.stringify(x.schema)})`;
  if (x.schema !== 'refusal-lens.receipt/1') return `schema ${JSON.stringify(x.schema)} is newer than this version of Refusal Lens reads (refusal-lens.receipt/1)`;
  return receiptShape(x, '');
}

/** A receipt is a few KB per condition; 64 MiB is far beyond any real one. */
export const MAX_RECEIPT_BYTES = 64 * 1024 * 1024;

/** A receipt read from `file`; throws an Error that names the file and the problem. */
export function readReceiptFile(file: string): Receipt {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_RECEIPT_BYTES) throw new Error(`${st.size} bytes is more than a receipt holds (limit ${MAX_RECEIPT_BYTES})`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const problem = receiptProblem(x);
  if (problem) throw new Error(`${file}: ${problem}`);
  return x as Receipt;
}
