// The dataset view's data, the pure part (no `vscode`, unit-tested): results rows joined with
// their dataset rows by id (prompt, system, the dataset's own fields), the message the page gets,
// which dataset a results file belongs to, and the filtered rows written out as JSONL or CSV.
import { existsSync } from 'node:fs';
import { csvRow } from '../../engine/report/escape';
import type { DatasetRow } from '../../protocol/prompts';
import { DatasetData, type DatasetDataMessage, type DatasetViewRow, type FieldValue } from '../../protocol/dataset';
import { isErrorRow, RESULTS_SUFFIX, type ResultRow } from './results';

const MAX_FIELD_CHARS = 2000;

function fieldValue(v: unknown): FieldValue | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > MAX_FIELD_CHARS ? `${s.slice(0, MAX_FIELD_CHARS)}…` : s;
}

function viewRow(r: ResultRow, d: DatasetRow | undefined): DatasetViewRow {
  const row: DatasetViewRow = { id: r.id, line: r.line, label: 'error', proj: {}, fields: {} };
  if (isErrorRow(r)) row.reason = r.error;
  else {
    row.label = r.label;
    row.score = r.refusalScore;
    if (typeof r.response === 'string') row.response = r.response;
    const reason = (r as { reason?: unknown }).reason;
    if (typeof reason === 'string') row.reason = reason;
    row.proj = r.projections as DatasetViewRow['proj'];
  }
  if (d) {
    const system = d.messages.find((m) => m.role === 'system');
    const user = [...d.messages].reverse().find((m) => m.role === 'user');
    if (system) row.system = system.content;
    if (user) row.prompt = user.content;
    for (const [k, v] of Object.entries(d.extra)) {
      const fv = fieldValue(v);
      if (fv !== undefined) row.fields[k] = fv;
    }
  }
  return row;
}

/**
 * The results rows in the dataset's order (rows the dataset no longer has follow, by line),
 * each joined with its dataset row when `dataset` is given.
 */
export function joinRows(results: ReadonlyMap<string, ResultRow>, dataset?: readonly DatasetRow[]): DatasetViewRow[] {
  const out: DatasetViewRow[] = [];
  const seen = new Set<string>();
  for (const d of dataset ?? []) {
    const r = results.get(d.id);
    if (!r || seen.has(d.id)) continue;
    seen.add(d.id);
    out.push(viewRow(r, d));
  }
  const rest = [...results.values()].filter((r) => !seen.has(r.id)).sort((a, b) => a.line - b.line);
  for (const r of rest) out.push(viewRow(r, undefined));
  return out;
}

/** The axes, layers (numeric order), positions and dataset fields the rows hold, in a stable order. */
export function shapeOf(rows: readonly DatasetViewRow[]): Pick<DatasetDataMessage, 'axes' | 'layers' | 'positions' | 'fields'> {
  const axes = new Set<string>();
  const layers = new Set<string>();
  const positions = new Set<string>();
  const fields = new Set<string>();
  for (const r of rows) {
    for (const [axis, byLayer] of Object.entries(r.proj)) {
      axes.add(axis);
      for (const [layer, cell] of Object.entries(byLayer)) {
        layers.add(layer);
        for (const p of Object.keys(cell)) positions.add(p);
      }
    }
    for (const f of Object.keys(r.fields)) fields.add(f);
  }
  return { axes: [...axes], layers: [...layers].sort((a, b) => Number(a) - Number(b)), positions: [...positions], fields: [...fields] };
}

export function dataMessage(o: { a: { results: string; rows: DatasetViewRow[] }; b?: { results: string; rows: DatasetViewRow[] }; dataset?: string; inspectable: boolean; notes?: string[] }): DatasetDataMessage {
  const shape = shapeOf(o.b ? [...o.a.rows, ...o.b.rows] : o.a.rows);
  return { type: DatasetData, ...(o.dataset ? { dataset: o.dataset } : {}), inspectable: o.inspectable, a: o.a, ...(o.b ? { b: o.b } : {}), ...shape, notes: o.notes ?? [] };
}

export const DATASET_EXTENSIONS = ['jsonl', 'csv', 'parquet', 'pq'] as const;

/** A dataset file Annotate Dataset takes: JSONL, CSV or Parquet, not a results file. */
export function isDatasetFile(p: string): boolean {
  return !p.endsWith(RESULTS_SUFFIX) && new RegExp(`\\.(${DATASET_EXTENSIONS.join('|')})$`, 'i').test(p);
}

/**
 * The dataset a results file was written for, by the default naming (`data.jsonl` →
 * `data.results.jsonl`, `data.csv` → `data.csv.results.jsonl`), when that file exists.
 */
export function datasetForResults(results: string, exists: (p: string) => boolean = existsSync): string | undefined {
  if (!results.endsWith(RESULTS_SUFFIX)) return undefined;
  const stem = results.slice(0, -RESULTS_SUFFIX.length);
  const candidates = /\.(csv|parquet|pq)$/i.test(stem) ? [stem] : [`${stem}.jsonl`];
  return candidates.find(exists);
}

/** The rows as JSONL: each row as the view holds it; in compare mode `after` is the other file's row. */
export function rowsToJsonl(rows: readonly DatasetViewRow[], after?: ReadonlyMap<string, DatasetViewRow>): string {
  return rows.map((r) => JSON.stringify(after ? { ...r, after: after.get(r.id) ?? null } : r)).join('\n') + (rows.length ? '\n' : '');
}

/** The rows as CSV (escaped by the report module): one column per projection cell `axis@L<layer>:<position>`, then the dataset's fields. */
export function rowsToCsv(rows: readonly DatasetViewRow[], after?: ReadonlyMap<string, DatasetViewRow>): string {
  const shape = shapeOf(rows);
  const cells: [string, string, string][] = [];
  for (const a of shape.axes) for (const l of shape.layers) for (const p of shape.positions) cells.push([a, l, p]);
  const head = ['id', 'line', 'label', 'score', 'reason', 'system', 'prompt', 'response'];
  if (after) head.push('label_after', 'score_after', 'response_after');
  head.push(...cells.map(([a, l, p]) => `${a}@L${l}:${p}`), ...shape.fields);
  const lines = [csvRow(head)];
  for (const r of rows) {
    const line: (string | number | null | undefined)[] = [r.id, r.line, r.label, r.score, r.reason, r.system, r.prompt, r.response];
    if (after) {
      const b = after.get(r.id);
      line.push(b?.label, b?.score, b?.response);
    }
    line.push(...cells.map(([a, l, p]) => r.proj[a]?.[l]?.[p]));
    line.push(...shape.fields.map((f) => {
      const v = r.fields[f];
      return typeof v === 'boolean' ? String(v) : v;
    }));
    lines.push(csvRow(line));
  }
  return lines.join('\n') + '\n';
}
