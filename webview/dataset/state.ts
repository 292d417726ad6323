// The dataset view's state: the data the host sent and the user's view settings (sort, filters,
// grouping, brush, chosen layer and axes). Pure and JSON: it is what setState persists (without
// the data, which the host sends again), and the reducer is unit-tested.
import { DatasetData, type DatasetDataMessage, type RowLabel } from '../../src/protocol/dataset';

export interface Brush {
  /** Inclusive ranges in data units on the scatter's x and y axes. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export interface SortSpec {
  key: string;
  dir: 1 | -1;
}

export interface ViewSettings {
  version: 1;
  layer: string;
  position: string;
  /** Scatter axes (axis names). */
  x: string;
  y: string;
  sort?: SortSpec;
  /** Labels shown; empty: all. */
  labels: RowLabel[];
  /** Case-insensitive substring of id, system, prompt, response or reason. */
  text: string;
  /** Score range as typed (strings so a half-typed "-0." survives). */
  scoreMin: string;
  scoreMax: string;
  /** Any column: `key` contains `value` (case-insensitive), or compares when `value` starts with < > =. */
  fieldKey: string;
  fieldValue: string;
  groupBy: string;
  brush?: Brush;
  /** Compare mode: only rows whose label changed. */
  flippedOnly: boolean;
  /** The row last clicked (highlighted). */
  selected?: string;
}

export interface DatasetState {
  data?: DatasetDataMessage;
  view: ViewSettings;
}

export type DatasetAction =
  | DatasetDataMessage
  | { type: 'view/set'; patch: Partial<ViewSettings> }
  | { type: 'view/sort'; key: string }
  | { type: 'view/toggleLabel'; label: RowLabel }
  | { type: 'view/brush'; brush?: Brush }
  | { type: 'view/select'; id: string }
  | { type: 'view/clearFilters' };

export function initialView(): ViewSettings {
  return { version: 1, layer: '', position: '', x: '', y: '', labels: [], text: '', scoreMin: '', scoreMax: '', fieldKey: '', fieldValue: '', groupBy: '', flippedOnly: false };
}

/** A persisted view, or the initial one when it is missing or of another shape. */
export function restoreView(saved: unknown): ViewSettings {
  const v = saved as Partial<ViewSettings> | undefined;
  if (!v || typeof v !== 'object' || v.version !== 1) return initialView();
  const base = initialView();
  const out: ViewSettings = { ...base };
  for (const k of ['layer', 'position', 'x', 'y', 'text', 'scoreMin', 'scoreMax', 'fieldKey', 'fieldValue', 'groupBy'] as const) if (typeof v[k] === 'string') out[k] = v[k];
  if (Array.isArray(v.labels)) out.labels = v.labels.filter((l): l is RowLabel => typeof l === 'string');
  if (v.sort && typeof v.sort.key === 'string' && (v.sort.dir === 1 || v.sort.dir === -1)) out.sort = { key: v.sort.key, dir: v.sort.dir };
  if (v.brush && [v.brush.x0, v.brush.x1, v.brush.y0, v.brush.y1].every((n) => typeof n === 'number' && Number.isFinite(n))) out.brush = { ...v.brush };
  out.flippedOnly = v.flippedOnly === true;
  if (typeof v.selected === 'string') out.selected = v.selected;
  return out;
}

/** The view's choices made valid for `data`: a layer, position and axes that exist (defaults: last layer, first position, persona × refusal). */
export function fitView(view: ViewSettings, data: DatasetDataMessage): ViewSettings {
  const v = { ...view };
  if (!data.layers.includes(v.layer)) v.layer = data.layers[data.layers.length - 1] ?? '';
  if (!data.positions.includes(v.position)) v.position = data.positions[0] ?? '';
  const pick = (want: string, fallback: number) => (data.axes.includes(want) ? want : data.axes[Math.min(fallback, data.axes.length - 1)] ?? '');
  if (!data.axes.includes(v.x)) v.x = pick('persona', 0);
  if (!data.axes.includes(v.y)) v.y = pick('refusal', 1);
  if (!data.b) v.flippedOnly = false;
  return v;
}

export function reduce(s: DatasetState, a: DatasetAction): DatasetState {
  switch (a.type) {
    case DatasetData:
      return { data: a, view: fitView(s.view, a) };
    case 'view/set': {
      const view = { ...s.view, ...a.patch };
      return { ...s, view: s.data ? fitView(view, s.data) : view };
    }
    case 'view/sort': {
      // Click a header: ascending, then descending, then back to the file's order.
      const cur = s.view.sort;
      const sort: SortSpec | undefined = cur?.key !== a.key ? { key: a.key, dir: 1 } : cur.dir === 1 ? { key: a.key, dir: -1 } : undefined;
      const view = { ...s.view };
      if (sort) view.sort = sort;
      else delete view.sort;
      return { ...s, view };
    }
    case 'view/toggleLabel': {
      const on = s.view.labels.includes(a.label);
      return { ...s, view: { ...s.view, labels: on ? s.view.labels.filter((l) => l !== a.label) : [...s.view.labels, a.label] } };
    }
    case 'view/brush': {
      const view = { ...s.view };
      if (a.brush) view.brush = a.brush;
      else delete view.brush;
      return { ...s, view };
    }
    case 'view/select':
      return { ...s, view: { ...s.view, selected: a.id } };
    case 'view/clearFilters': {
      const view = { ...s.view, labels: [], text: '', scoreMin: '', scoreMax: '', fieldKey: '', fieldValue: '', flippedOnly: false };
      delete view.brush;
      return { ...s, view };
    }
    default:
      return s;
  }
}
