// Reading a finished (or growing) results file and summarising it: label and error counts and the
// distribution of each projection per label, for the CLI, the editor's summary view and tests.
// Error rows ({id, line, error}) count as errors and carry no projections.
import { readFileSync } from 'node:fs';
import type { Label } from '../../protocol/types';
import type { AnnotationErrorRow, AnnotationRow, ProjectionPosition } from './annotate';
import { mean, quantileSorted } from './stats';

/** Every row of a results file, result and error rows apart (a half-written last line is left out). */
export function readResults(file: string): { rows: AnnotationRow[]; errors: AnnotationErrorRow[] } {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l, i, all) => l.trim() !== '' && (i < all.length - 1 || text.endsWith('\n')));
  const rows: AnnotationRow[] = [];
  const errors: AnnotationErrorRow[] = [];
  for (const l of lines) {
    const x = JSON.parse(l) as AnnotationRow | AnnotationErrorRow;
    if (typeof (x as AnnotationErrorRow).error === 'string') errors.push(x as AnnotationErrorRow);
    else rows.push(x as AnnotationRow);
  }
  return { rows, errors };
}

/** The result rows of a results file (error rows left out: see readResults). */
export function readAnnotations(file: string): AnnotationRow[] {
  return readResults(file).rows;
}

export interface ProjectionSummary {
  axis: string;
  layer: string;
  position: ProjectionPosition;
  /** Per label: n, mean and the 5/25/50/75/95% quantiles of the projection. */
  byLabel: Partial<Record<Label, { n: number; mean: number; q: [number, number, number, number, number] }>>;
}

export interface AnnotationSummary {
  counts: Record<Label, number>;
  /** Error rows (the model could not run them). */
  errors: number;
  projections: ProjectionSummary[];
}

/** Label counts, error rows, and the distribution of each projection per label: the editor's summary view. */
export function summariseAnnotations(rows: readonly (AnnotationRow | AnnotationErrorRow)[]): AnnotationSummary {
  const counts: Record<Label, number> = { refusal: 0, bypass: 0, degenerate: 0 };
  let errors = 0;
  const groups = new Map<string, { key: Omit<ProjectionSummary, 'byLabel'>; values: Map<Label, number[]> }>();
  for (const r of rows) {
    if (typeof (r as AnnotationErrorRow).error === 'string' || !((r as AnnotationRow).label in counts)) {
      errors++;
      continue;
    }
    const row = r as AnnotationRow;
    counts[row.label]++;
    for (const [axis, layers] of Object.entries(row.projections ?? {})) {
      for (const [layer, cell] of Object.entries(layers)) {
        for (const [position, v] of Object.entries(cell) as [ProjectionPosition, number][]) {
          if (typeof v !== 'number') continue;
          const k = `${axis}\u0000${layer}\u0000${position}`;
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { key: { axis, layer, position }, values: new Map() }));
          const list = g.values.get(row.label) ?? [];
          list.push(v);
          g.values.set(row.label, list);
        }
      }
    }
  }
  const projections = [...groups.values()].map(({ key, values }) => {
    const byLabel: ProjectionSummary['byLabel'] = {};
    for (const [label, xs] of values) {
      const s = Float64Array.from(xs).sort();
      const q = (p: number) => quantileSorted(s, p);
      byLabel[label] = { n: xs.length, mean: mean(xs), q: [q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)] };
    }
    return { ...key, byLabel };
  });
  return { counts, errors, projections };
}
