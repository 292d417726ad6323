// Everything the dataset view draws, derived from the state, with each step cached on the
// inputs it reads: a sort re-sorts, a brush re-filters, neither re-joins nor re-groups the data.
import { ROW_LABELS, type DatasetDataMessage, type RowLabel } from '../../src/protocol/dataset';
import { columns, filterRows, flippedCount, groupRows, layerMeans, prepare, scatterPoints, sortRows, transitions, type Column, type Group, type Point, type Prepared, type ViewRow } from './model';
import type { DatasetState, ViewSettings } from './state';

export interface Derived {
  columns: Column[];
  /** Filtered (brush included) and sorted: the table. */
  rows: ViewRow[];
  /** Filtered without the brush: the scatter and the means. */
  points: Point[];
  means: Record<string, Partial<Record<RowLabel, (number | undefined)[]>>>;
  groups?: Group[];
  transitions?: Record<RowLabel, Record<RowLabel, number>>;
  flipped: number;
  all: number;
  onlyA: number;
  onlyB: number;
  labelCounts: Record<RowLabel, number>;
}

type Key = readonly unknown[];
const same = (a: Key | undefined, b: Key) => !!a && a.length === b.length && a.every((x, i) => x === b[i]);

/** A derivation cache: call `derive(state)` on every state change. */
export function deriver(): (s: DatasetState) => Derived | undefined {
  let data: DatasetDataMessage | undefined;
  let prepared: Prepared;
  let cols: Column[];
  let labelCounts: Record<RowLabel, number>;
  let trans: Derived['transitions'];
  let flipped = 0;
  const memo = new Map<string, { key: Key; value: unknown }>();
  function cached<T>(name: string, key: Key, make: () => T): T {
    const m = memo.get(name);
    if (m && same(m.key, key)) return m.value as T;
    const value = make();
    memo.set(name, { key, value });
    return value;
  }
  return (s) => {
    if (!s.data) return undefined;
    if (s.data !== data) {
      data = s.data;
      prepared = prepare(data);
      cols = columns(data);
      labelCounts = Object.fromEntries(ROW_LABELS.map((l) => [l, 0])) as Record<RowLabel, number>;
      for (const r of prepared.rows) labelCounts[r.a.label]++;
      trans = data.b ? transitions(prepared.rows) : undefined;
      flipped = flippedCount(prepared.rows);
      memo.clear();
    }
    const v: ViewSettings = s.view;
    const filterKey = [prepared, v.labels.join(','), v.text, v.scoreMin, v.scoreMax, v.fieldKey, v.fieldValue, v.flippedOnly, v.fieldKey.startsWith('proj:') || v.fieldKey.startsWith('d:') ? `${v.layer}/${v.position}` : ''];
    const unbrushed = cached('unbrushed', filterKey, () => filterRows(prepared.rows, v, false));
    const brushKey = v.brush ? [v.brush.x0, v.brush.x1, v.brush.y0, v.brush.y1, v.x, v.y, v.layer, v.position] : [];
    const filtered = cached('filtered', [unbrushed, ...brushKey], () => (v.brush ? filterRows(unbrushed, v, true) : unbrushed));
    const sortKey = v.sort ? [v.sort.key, v.sort.dir, v.sort.key.includes(':') ? `${v.layer}/${v.position}` : ''] : [];
    const rows = cached('sorted', [filtered, ...sortKey], () => (v.sort ? sortRows(filtered, v) : filtered));
    const points = cached('points', [unbrushed, v.x, v.y, v.layer, v.position], () => scatterPoints(unbrushed, v));
    const means = cached('means', [unbrushed, v.position], () => Object.fromEntries(data!.axes.map((a) => [a, layerMeans(unbrushed, a, v.position, data!.layers)])));
    const groups = v.groupBy ? cached('groups', [filtered, v.groupBy, v.layer, v.position], () => groupRows(filtered, v.groupBy, v)) : undefined;
    return {
      columns: cols,
      rows,
      points,
      means,
      ...(groups ? { groups } : {}),
      ...(trans ? { transitions: trans } : {}),
      flipped,
      all: prepared.rows.length,
      onlyA: prepared.onlyA,
      onlyB: prepared.onlyB,
      labelCounts,
    };
  };
}
