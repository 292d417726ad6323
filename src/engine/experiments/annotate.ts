// Annotate a JSONL dataset: for each prompt the response, label, refusal score and projections
// on the axes at chosen layers and positions, one results line per prompt keyed by its stable
// id. Resumable (see results-file.ts): rows already in the results file are skipped, and
// batches are fixed groups of the dataset's rows, so a resumed run feeds the model exactly the
// batches an uninterrupted run would, and its file ends byte-identical.
import { readFileSync, writeFileSync } from 'node:fs';
import { FileReadError, readBoundedText } from '../io/read';
import { LIMITS } from '../../protocol/limits';
import type { DatasetRow, Diagnostic } from '../../protocol/prompts';
import type { DecodingOptions, Intervention, Label, TraceResult } from '../../protocol/types';
import type { Direction } from '../directions/index';
import type { LensModel } from '../index';
import { parseJsonl } from '../prompts/index';
import { postInstructionLength } from './activations';
import { canonicalJson } from './receipt';
import { openExisting, replaceAtomically, ResultsAppender, ResultsFileError } from './results-file';
import { chunks, ProgressTracker, throwIfAborted, type ProgressFn } from './progress';
import { rowPrompt } from './dataset';
import { mean, quantileSorted } from './stats';

export type ProjectionPosition = 'last_prompt' | 'post_instruction' | 'prompt_mean' | 'response_mean';
export const PROJECTION_POSITIONS: readonly ProjectionPosition[] = ['last_prompt', 'post_instruction', 'prompt_mean', 'response_mean'];

/** Prompts per batch by default: batch 32 annotated 3.8× faster than batch 1 on the built-in model, batch 8 only 2.6× (BENCHMARKS.md). */
export const DEFAULT_ANNOTATE_BATCH = 32;

export interface AnnotateOptions {
  axes: Direction[];
  /** 0-based layers to report (default all). */
  layers?: number[];
  /** Default ['last_prompt', 'response_mean']. */
  positions?: ProjectionPosition[];
  interventions?: Intervention[];
  decoding: DecodingOptions;
  /** Prompts per batch (default 8). Keep it fixed across resumes for byte-identical files. */
  batchSize?: number;
  /** Start over: discard an existing results file instead of resuming. */
  restart?: boolean;
  onProgress?: ProgressFn;
  /** Each row as it is written (after the batch is on disk): for inline display. */
  onRow?: (row: AnnotationRow) => void;
  signal?: AbortSignal;
}

export interface AnnotationRow {
  id: string;
  /** 1-based line in the dataset. */
  line: number;
  response: string;
  label: Label;
  refusalScore: number;
  matched?: string;
  reason?: string;
  /** projections[axis][layer][position] = r·v̂ (6 significant digits). */
  projections: Record<string, Record<string, Partial<Record<ProjectionPosition, number>>>>;
}

export interface AnnotateSummary {
  out: string;
  /** Readable dataset rows. */
  total: number;
  /** Rows found in the results file and skipped. */
  resumed: number;
  /** Rows run now. */
  ran: number;
  /** Unreadable dataset lines (skipped) and warnings. */
  diagnostics: Diagnostic[];
  /** A trailing partial line left by a killed run, cut off before resuming. */
  truncated?: { line: number; bytes: number };
  /** Rows in the results file whose id is not in the dataset (kept at the end). */
  foreign: number;
  /** Rows the model could not run (e.g. longer than its context); not written, retried on resume. */
  failed: { id: string; line: number; message: string }[];
  counts: Record<Label, number>;
}

/** What must match for a results file to be resumed: everything that changes a row. */
function runSettings(model: LensModel, o: AnnotateOptions, layers: number[], positions: ProjectionPosition[]) {
  return {
    schema: 'refusal-lens.annotate-run/1',
    model: { name: model.summary.name, graphHash: model.summary.graphHash, tokenizerHash: model.summary.tokenizerHash },
    axes: o.axes.map((a) => ({ name: a.name, sha256: a.sha256 ?? null, method: a.meta.method })),
    layers,
    positions,
    interventions: o.interventions ?? [],
    decoding: o.decoding,
    batchSize: o.batchSize ?? DEFAULT_ANNOTATE_BATCH,
  };
}

const sig = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

function meanOf(xs: number[], from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i];
  return s / (to - from);
}

export function rowFromTrace(row: DatasetRow, t: TraceResult, layers: number[], positions: ProjectionPosition[], postLen: number): AnnotationRow {
  const nPrompt = t.tokens.filter((x) => !x.generated).length;
  const nAll = t.tokens.length;
  const projections: AnnotationRow['projections'] = {};
  t.axes.forEach((axis, a) => {
    const perLayer: AnnotationRow['projections'][string] = {};
    for (const l of layers) {
      const reads = t.projections[a][t.layers.indexOf(l)];
      const cell: Partial<Record<ProjectionPosition, number>> = {};
      for (const p of positions) {
        if (p === 'last_prompt') cell[p] = sig(reads[nPrompt - 1]);
        else if (p === 'prompt_mean') cell[p] = sig(meanOf(reads, 0, nPrompt));
        else if (p === 'post_instruction') cell[p] = sig(meanOf(reads, nPrompt - postLen, nPrompt));
        else if (nAll > nPrompt) cell[p] = sig(meanOf(reads, nPrompt, Math.min(nAll, reads.length)));
      }
      perLayer[String(l)] = cell;
    }
    projections[axis.name] = perLayer;
  });
  return {
    id: row.id,
    line: row.line,
    response: t.response,
    label: t.label.label,
    refusalScore: sig(t.label.refusalScore),
    ...(t.label.matched !== undefined ? { matched: t.label.matched } : {}),
    ...(t.label.reason !== undefined ? { reason: t.label.reason } : {}),
    projections,
  };
}

/**
 * Runs a group as one batch; if the engine rejects it (one bad row fails a whole batch), runs
 * its rows one by one so only the bad ones are left out. Cancellation is never swallowed.
 */
async function traceRows(
  model: LensModel, rows: DatasetRow[], o: AnnotateOptions, layers: number[], positions: ProjectionPosition[], failed: AnnotateSummary['failed'],
): Promise<[DatasetRow, AnnotationRow][]> {
  const req = (r: DatasetRow) => ({ prompt: rowPrompt(r), axes: o.axes, interventions: o.interventions ?? [], decoding: o.decoding });
  const toRow = (r: DatasetRow, t: TraceResult): [DatasetRow, AnnotationRow] => [
    r,
    rowFromTrace(r, t, layers, positions, positions.includes('post_instruction') ? postInstructionLength(model, rowPrompt(r)) : 0),
  ];
  const opts = o.signal ? { signal: o.signal } : {};
  try {
    const traces = await model.traceBatch(rows.map(req), opts);
    return rows.map((r, i) => toRow(r, traces[i]));
  } catch (e) {
    if (o.signal?.aborted || rows.length === 1) {
      if (o.signal?.aborted) throw e;
      failed.push({ id: rows[0].id, line: rows[0].line, message: (e as Error).message });
      return [];
    }
  }
  const out: [DatasetRow, AnnotationRow][] = [];
  for (const r of rows) out.push(...(await traceRows(model, [r], o, layers, positions, failed)));
  return out;
}

export async function annotate(model: LensModel, datasetPath: string, outPath: string, o: AnnotateOptions): Promise<AnnotateSummary> {
  const L = model.summary.layers;
  const layers = o.layers ?? Array.from({ length: L }, (_, l) => l);
  for (const l of layers) if (!Number.isInteger(l) || l < 0 || l >= L) throw new Error(`annotate: layer ${l} is outside 0..${L - 1}`);
  const positions = o.positions ?? ['last_prompt', 'response_mean'];
  const batchSize = o.batchSize ?? DEFAULT_ANNOTATE_BATCH;
  let text: string;
  try {
    text = readBoundedText(datasetPath, { what: 'JSONL dataset', maxBytes: LIMITS.datasetBytes });
  } catch (e) {
    throw new Error(`${datasetPath}: cannot read dataset: ${e instanceof FileReadError ? e.detail : (e as Error).message}`);
  }
  const { rows, diagnostics } = parseJsonl(text, datasetPath);

  const settingsFile = `${outPath}.run.json`;
  const settings = canonicalJson(runSettings(model, o, layers, positions));
  if (o.restart) writeFileSync(outPath, '');
  const existing = openExisting(outPath);
  if (existing.rows.size) {
    let previous: string | undefined;
    try {
      previous = canonicalJson(JSON.parse(readFileSync(settingsFile, 'utf8')));
    } catch {
      previous = undefined;
    }
    if (previous !== settings) {
      throw new ResultsFileError(
        `${outPath} holds ${existing.rows.size} rows ${previous ? 'made with different settings (model, axes, layers, positions, interventions, decoding or batch size)' : `but no readable ${settingsFile}`}; ` +
          'write to another file, or start over with the restart option (CLI: --restart)',
      );
    }
  }
  writeFileSync(settingsFile, JSON.stringify(JSON.parse(settings), null, 2) + '\n');

  const counts: Record<Label, number> = { refusal: 0, bypass: 0, degenerate: 0 };
  const countLine = (line: string) => {
    const l = (JSON.parse(line) as { label?: Label }).label;
    if (l && l in counts) counts[l]++;
  };
  let resumed = 0;
  for (const r of rows) if (existing.rows.has(r.id)) resumed++;
  const progress = new ProgressTracker('annotate', rows.length, o.onProgress, resumed);
  let done = resumed;
  let ran = 0;
  const failed: AnnotateSummary['failed'] = [];
  const appender = new ResultsAppender(outPath);
  try {
    // Fixed groups of the dataset's rows: a resumed run batches exactly as a fresh one.
    for (const group of chunks(rows, batchSize)) {
      const todo = group.filter((r) => !existing.rows.has(r.id));
      if (!todo.length) continue;
      throwIfAborted(o.signal, 'annotate');
      const results = await traceRows(model, todo, o, layers, positions, failed);
      const lines = results.map(([, row]) => JSON.stringify(row));
      appender.appendBatch(lines);
      results.forEach(([r], i) => existing.rows.set(r.id, lines[i]));
      results.forEach(([, row]) => o.onRow?.(row));
      ran += results.length;
      progress.report((done += todo.length));
    }
  } finally {
    appender.close();
  }
  // Dataset order, then rows of ids the dataset no longer has (kept, never dropped).
  const inDataset = new Set(rows.map((r) => r.id));
  const ordered = [...rows.map((r) => existing.rows.get(r.id)!), ...[...existing.rows].filter(([id]) => !inDataset.has(id)).map(([, l]) => l)];
  const current = [...existing.rows.values()];
  if (ordered.some((l, i) => l !== current[i])) replaceAtomically(outPath, ordered);
  for (const l of ordered.slice(0, rows.length)) countLine(l);
  return {
    out: outPath,
    total: rows.length,
    resumed,
    ran,
    diagnostics,
    ...(existing.truncated ? { truncated: existing.truncated } : {}),
    foreign: ordered.length - rows.length,
    failed,
    counts,
  };
}

/** Reads a results file (e.g. for the editor's inline labels and summary view). */
export function readAnnotations(file: string): AnnotationRow[] {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').filter((l, i, all) => l.trim() !== '' && (i < all.length - 1 || text.endsWith('\n'))).map((l) => JSON.parse(l) as AnnotationRow);
}

export interface ProjectionSummary {
  axis: string;
  layer: string;
  position: ProjectionPosition;
  /** Per label: n, mean and the 5/25/50/75/95% quantiles of the projection. */
  byLabel: Partial<Record<Label, { n: number; mean: number; q: [number, number, number, number, number] }>>;
}

/** Label counts and the distribution of each projection per label: the editor's summary view. */
export function summariseAnnotations(rows: AnnotationRow[]): { counts: Record<Label, number>; projections: ProjectionSummary[] } {
  const counts: Record<Label, number> = { refusal: 0, bypass: 0, degenerate: 0 };
  const groups = new Map<string, { key: Omit<ProjectionSummary, 'byLabel'>; values: Map<Label, number[]> }>();
  for (const r of rows) {
    counts[r.label]++;
    for (const [axis, layers] of Object.entries(r.projections)) {
      for (const [layer, cell] of Object.entries(layers)) {
        for (const [position, v] of Object.entries(cell) as [ProjectionPosition, number][]) {
          const k = `${axis}\u0000${layer}\u0000${position}`;
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { key: { axis, layer, position }, values: new Map() }));
          const list = g.values.get(r.label) ?? [];
          list.push(v);
          g.values.set(r.label, list);
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
  return { counts, projections };
}
