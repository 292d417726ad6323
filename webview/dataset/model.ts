// What the dataset view derives from the data and the view settings, pure (unit-tested): the
// columns, a cell's value, filtering, sorting, grouping with Wilson intervals, per-layer means
// by label, scatter points, and in compare mode the label transitions and per-row deltas.
import { ROW_LABELS, type DatasetDataMessage, type DatasetViewRow, type RowLabel } from '../../src/protocol/dataset';
import { wilson } from '../../src/engine/experiments/stats';
import type { ViewSettings } from './state';

/** A row of the view: the results row (`a`), and in compare mode the same id in the other file (`b`). */
export interface ViewRow {
  a: DatasetViewRow;
  b?: DatasetViewRow;
  /** Lower-cased id, system, prompt, response and reason: what the text filter searches. */
  hay: string;
}

export interface Prepared {
  rows: ViewRow[];
  /** Compare mode: ids only in the first or only in the second file (left out of the view). */
  onlyA: number;
  onlyB: number;
}

export function prepare(data: DatasetDataMessage): Prepared {
  const hay = (r: DatasetViewRow) => [r.id, r.system ?? '', r.prompt ?? '', r.response ?? '', r.reason ?? ''].join('\u0000').toLowerCase();
  if (!data.b) return { rows: data.a.rows.map((a) => ({ a, hay: hay(a) })), onlyA: 0, onlyB: 0 };
  const byId = new Map(data.b.rows.map((r) => [r.id, r]));
  const rows: ViewRow[] = [];
  let onlyA = 0;
  for (const a of data.a.rows) {
    const b = byId.get(a.id);
    if (!b) {
      onlyA++;
      continue;
    }
    rows.push({ a, b, hay: `${hay(a)}\u0000${(b.response ?? '').toLowerCase()}` });
  }
  const inA = new Set(data.a.rows.map((r) => r.id));
  const onlyB = data.b.rows.filter((r) => !inA.has(r.id)).length;
  return { rows, onlyA, onlyB };
}

export interface Column {
  key: string;
  title: string;
  numeric: boolean;
  /** Width in pixels. */
  width: number;
}

/** The table's columns: fixed ones, the projections at the chosen cell, compare deltas, then the dataset's own fields. */
export function columns(data: DatasetDataMessage): Column[] {
  const cols: Column[] = [
    { key: 'id', title: 'id', numeric: false, width: 110 },
    { key: 'label', title: data.b ? 'label before' : 'label', numeric: false, width: 90 },
    { key: 'score', title: data.b ? 'score before' : 'score', numeric: true, width: 80 },
  ];
  if (data.b) {
    cols.push({ key: 'label_b', title: 'label after', numeric: false, width: 90 }, { key: 'score_b', title: 'score after', numeric: true, width: 80 }, { key: 'd_score', title: 'Δ score', numeric: true, width: 76 });
  }
  for (const axis of data.axes) {
    cols.push({ key: `proj:${axis}`, title: axis, numeric: true, width: 80 });
    if (data.b) cols.push({ key: `d:${axis}`, title: `Δ ${axis}`, numeric: true, width: 80 });
  }
  cols.push(
    { key: 'system', title: 'system', numeric: false, width: 140 },
    { key: 'prompt', title: 'prompt', numeric: false, width: 280 },
    { key: 'response', title: data.b ? 'response before' : 'response', numeric: false, width: 280 },
  );
  if (data.b) cols.push({ key: 'response_b', title: 'response after', numeric: false, width: 280 });
  cols.push({ key: 'reason', title: 'label reason', numeric: false, width: 110 }, { key: 'line', title: 'line', numeric: true, width: 56 });
  for (const f of data.fields) cols.push({ key: `field:${f}`, title: f, numeric: false, width: 120 });
  return cols;
}

export function projection(r: DatasetViewRow | undefined, axis: string, view: Pick<ViewSettings, 'layer' | 'position'>): number | undefined {
  const v = r?.proj[axis]?.[view.layer]?.[view.position];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A cell's value: a number, a string, or undefined when the row has none. */
export function cellValue(vr: ViewRow, key: string, view: Pick<ViewSettings, 'layer' | 'position'>): string | number | undefined {
  const { a, b } = vr;
  switch (key) {
    case 'id': return a.id;
    case 'line': return a.line;
    case 'label': return a.label;
    case 'score': return a.score;
    case 'label_b': return b?.label;
    case 'score_b': return b?.score;
    case 'd_score': return a.score !== undefined && b?.score !== undefined ? b.score - a.score : undefined;
    case 'system': return a.system;
    case 'prompt': return a.prompt;
    case 'response': return a.response;
    case 'response_b': return b?.response;
    case 'reason': return a.reason;
  }
  if (key.startsWith('proj:')) return projection(a, key.slice(5), view);
  if (key.startsWith('d:')) {
    const axis = key.slice(2);
    const x = projection(a, axis, view);
    const y = projection(b, axis, view);
    return x !== undefined && y !== undefined ? y - x : undefined;
  }
  if (key.startsWith('field:')) {
    const v = a.fields[key.slice(6)];
    return v === null || v === undefined ? undefined : typeof v === 'boolean' ? String(v) : v;
  }
  return undefined;
}

const num = (s: string): number | undefined => (s.trim() === '' || !Number.isFinite(Number(s.replace('−', '-'))) ? undefined : Number(s.replace('−', '-')));

/** The "any field" test: `<3`, `>=0.5`, `=refusal` compare; anything else is a case-insensitive substring. */
export function fieldTest(value: string): (v: string | number | undefined) => boolean {
  const m = /^\s*(<=|>=|<|>|=)\s*(.*)$/.exec(value);
  if (m) {
    const [, op, rest] = m as unknown as [string, string, string];
    const n = num(rest);
    if (op === '=') return (v) => v !== undefined && (n !== undefined && typeof v === 'number' ? v === n : String(v).toLowerCase() === rest.trim().toLowerCase());
    if (n === undefined) return () => true;
    const cmp = { '<': (x: number) => x < n, '<=': (x: number) => x <= n, '>': (x: number) => x > n, '>=': (x: number) => x >= n }[op as '<' | '<=' | '>' | '>=']!;
    return (v) => v !== undefined && v !== '' && Number.isFinite(Number(v)) && cmp(Number(v));
  }
  const needle = value.trim().toLowerCase();
  return (v) => !needle || (v !== undefined && String(v).toLowerCase().includes(needle));
}

/** Rows passing every filter; `withBrush: false` leaves the brush out (the scatter shows what it can brush). */
export function filterRows(rows: readonly ViewRow[], view: ViewSettings, withBrush = true): ViewRow[] {
  const labels = new Set(view.labels);
  const needle = view.text.trim().toLowerCase();
  const lo = num(view.scoreMin);
  const hi = num(view.scoreMax);
  const field = view.fieldKey && view.fieldValue.trim() ? { key: view.fieldKey, test: fieldTest(view.fieldValue) } : undefined;
  const brush = withBrush ? view.brush : undefined;
  return rows.filter((vr) => {
    const a = vr.a;
    if (labels.size && !labels.has(a.label)) return false;
    if (needle && !vr.hay.includes(needle)) return false;
    if (lo !== undefined && !(a.score !== undefined && a.score >= lo)) return false;
    if (hi !== undefined && !(a.score !== undefined && a.score <= hi)) return false;
    if (view.flippedOnly && !(vr.b && vr.b.label !== a.label)) return false;
    if (field && !field.test(cellValue(vr, field.key, view))) return false;
    if (brush) {
      const x = projection(a, view.x, view);
      const y = projection(a, view.y, view);
      if (x === undefined || y === undefined || x < brush.x0 || x > brush.x1 || y < brush.y0 || y > brush.y1) return false;
    }
    return true;
  });
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Sorted by `view.sort` (stable; rows without a value last in either direction); unsorted: as given. */
export function sortRows(rows: readonly ViewRow[], view: ViewSettings): ViewRow[] {
  const s = view.sort;
  if (!s) return [...rows];
  // Extract each key once: 10k rows sort in a few ms.
  const keyed = rows.map((vr, i) => ({ vr, i, v: cellValue(vr, s.key, view) }));
  keyed.sort((p, q) => {
    if (p.v === undefined || q.v === undefined) return p.v === q.v ? p.i - q.i : p.v === undefined ? 1 : -1;
    const c = typeof p.v === 'number' && typeof q.v === 'number' ? p.v - q.v : collator.compare(String(p.v), String(q.v));
    return c ? c * s.dir : p.i - q.i;
  });
  return keyed.map((k) => k.vr);
}

export interface Rate {
  k: number;
  rate: number;
  lo: number;
  hi: number;
}

export interface Group {
  value: string;
  n: number;
  counts: Record<RowLabel, number>;
  /** Shares among the rows that ran (error rows left out), with 95% Wilson intervals. */
  rates: Record<'refusal' | 'bypass' | 'degenerate', Rate>;
  meanScore?: number;
}

/** Rows grouped by a column's value (absent: "(none)"), largest group first. */
export function groupRows(rows: readonly ViewRow[], key: string, view: ViewSettings): Group[] {
  const groups = new Map<string, { rows: ViewRow[] }>();
  for (const vr of rows) {
    const v = cellValue(vr, key, view);
    const g = v === undefined || v === '' ? '(none)' : String(v);
    let e = groups.get(g);
    if (!e) groups.set(g, (e = { rows: [] }));
    e.rows.push(vr);
  }
  const out: Group[] = [];
  for (const [value, { rows: rs }] of groups) {
    const counts = Object.fromEntries(ROW_LABELS.map((l) => [l, 0])) as Record<RowLabel, number>;
    let sum = 0;
    let scored = 0;
    for (const { a } of rs) {
      counts[a.label]++;
      if (a.score !== undefined) {
        sum += a.score;
        scored++;
      }
    }
    const ran = rs.length - counts.error;
    const rate = (l: 'refusal' | 'bypass' | 'degenerate'): Rate => ({ k: counts[l], rate: ran ? counts[l] / ran : 0, ...wilson(counts[l], ran) });
    out.push({ value, n: rs.length, counts, rates: { refusal: rate('refusal'), bypass: rate('bypass'), degenerate: rate('degenerate') }, ...(scored ? { meanScore: sum / scored } : {}) });
  }
  return out.sort((p, q) => q.n - p.n || collator.compare(p.value, q.value));
}

/** Per label, the mean projection on `axis` at each of `layers` (undefined where no row has one). One pass over the rows. */
export function layerMeans(rows: readonly ViewRow[], axis: string, position: string, layers: readonly string[]): Partial<Record<RowLabel, (number | undefined)[]>> {
  const acc = new Map<RowLabel, { sums: Float64Array; ns: Uint32Array }>();
  const L = layers.length;
  for (const { a } of rows) {
    const byLayer = a.proj[axis];
    if (!byLayer) continue;
    let e = acc.get(a.label);
    for (let i = 0; i < L; i++) {
      const v = byLayer[layers[i]!]?.[position];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (!e) acc.set(a.label, (e = { sums: new Float64Array(L), ns: new Uint32Array(L) }));
      e.sums[i]! += v;
      e.ns[i]!++;
    }
  }
  const out: Partial<Record<RowLabel, (number | undefined)[]>> = {};
  for (const label of ROW_LABELS) {
    const e = acc.get(label);
    if (e) out[label] = Array.from(e.sums, (sum, i) => (e.ns[i] ? sum / e.ns[i]! : undefined));
  }
  return out;
}

export interface Point {
  x: number;
  y: number;
  label: RowLabel;
  id: string;
}

export function scatterPoints(rows: readonly ViewRow[], view: ViewSettings): Point[] {
  const pts: Point[] = [];
  for (const { a } of rows) {
    const x = projection(a, view.x, view);
    const y = projection(a, view.y, view);
    if (x !== undefined && y !== undefined) pts.push({ x, y, label: a.label, id: a.id });
  }
  return pts;
}

/** Compare mode: counts[before][after] over the rows in both files. */
export function transitions(rows: readonly ViewRow[]): Record<RowLabel, Record<RowLabel, number>> {
  const m = Object.fromEntries(ROW_LABELS.map((l) => [l, Object.fromEntries(ROW_LABELS.map((k) => [k, 0]))])) as Record<RowLabel, Record<RowLabel, number>>;
  for (const { a, b } of rows) if (b) m[a.label][b.label]++;
  return m;
}

export function flippedCount(rows: readonly ViewRow[]): number {
  return rows.filter((r) => r.b && r.b.label !== r.a.label).length;
}
