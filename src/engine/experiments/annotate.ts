// Annotate a JSONL dataset: for each prompt the response, label, refusal score and projections
// on the axes at chosen layers and positions, one results line per prompt keyed by its stable
// id. Resumable (see results-file.ts): rows already in the results file are skipped, and
// batches are fixed groups of the dataset's rows, so a resumed run feeds the model exactly the
// batches an uninterrupted run would, and its file ends byte-identical. A row the model cannot
// run (longer than its context, say) becomes an error row {id, line, error}: it counts as done,
// so a resume does not run it again (the usual causes are deterministic) unless asked to
// (`retryErrors`). One run at a time writes a results file (a lock beside it, see io/lock.ts), and
// only a file that is absent, empty or ours is written (see results-file.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LIMITS } from '../../protocol/limits';
import type { DatasetRow, Diagnostic } from '../../protocol/prompts';
import type { DecodingOptions, Intervention, Label, TraceResult } from '../../protocol/types';
import type { Direction } from '../directions/index';
import type { LensModel } from '../index';
import type { FieldMap } from '../prompts/index';
import { readDataset } from './datasets/index';
import { shardRows, type Shard } from './shard';
import { postInstructionLength } from './activations';
import { canonicalJson } from './receipt';
import { acquireLock, LockHeldError } from '../io/lock';
import { assertOwnResultsFile, isErrorLine, openExisting, replaceAtomically, ResultsAppender, ResultsFileError, RUN_SETTINGS_SCHEMA, sidecarPathFor } from './results-file';
import { chunks, ProgressTracker, throwIfAborted, type ProgressFn } from './progress';
import { rowPrompt } from './dataset';
import { DEFAULT_REFERENCE_SET, type ReferenceRecord } from '../../protocol/reference';
import { isRelative, percentileAxes, referenceRecord, resolveInterventions } from '../directions/resolve';
import { DEFAULT_ANNOTATE_BATCH, DEFAULT_ANNOTATE_POSITIONS, type AnnotatePosition as ProjectionPosition } from '../../protocol/annotate';
export { summariseAnnotations, readAnnotations, readResults, type ProjectionSummary, type AnnotationSummary } from './annotate-summary';

// The value lists are in src/protocol/annotate.ts (the worker and the extension check against them too).
export { ANNOTATE_POSITIONS as PROJECTION_POSITIONS, DEFAULT_ANNOTATE_BATCH, type AnnotatePosition as ProjectionPosition } from '../../protocol/annotate';

export interface AnnotateOptions {
  axes: Direction[];
  /** 0-based layers to report (default all). */
  layers?: number[];
  /** Default DEFAULT_ANNOTATE_POSITIONS (last_prompt, response_mean). */
  positions?: ProjectionPosition[];
  interventions?: Intervention[];
  decoding: DecodingOptions;
  /** Prompts per batch (default DEFAULT_ANNOTATE_BATCH, 32). Keep it fixed across resumes for byte-identical files. */
  batchSize?: number;
  /** Start over: discard an existing results file instead of resuming. */
  restart?: boolean;
  /** Run the dataset's error rows again (a plain resume keeps them as they are). */
  retryErrors?: boolean;
  onProgress?: ProgressFn;
  /** Each row as it is written (after the batch is on disk): for inline display. */
  onRow?: (row: AnnotationRow | AnnotationErrorRow) => void;
  signal?: AbortSignal;
  /** The columns holding the prompt, system prompt and id (default: the usual field names). */
  fields?: FieldMap;
  /** Annotate only this shard's rows (see shard.ts); recorded in the run settings. */
  shard?: Shard;
  /** The reference set for norm coefficients, percentile bounds and the norm warning (builtin:NAME or a path). */
  reference?: string;
}

export interface AnnotationRow {
  id: string;
  /** 1-based line in a JSONL dataset; the 1-based record number in a CSV or Parquet one. */
  line: number;
  response: string;
  label: Label;
  refusalScore: number;
  matched?: string;
  reason?: string;
  /** what the degenerate check saw (LabelResult.detail) */
  detail?: string;
  /** projections[axis][layer][position] = r·v̂ (6 significant digits). */
  projections: Record<string, Record<string, Partial<Record<ProjectionPosition, number>>>>;
  /** The run's warnings (TraceResult.warnings: the norm warning). */
  warnings?: string[];
}

/** A row the model could not run, as written to the results file in its place. */
export interface AnnotationErrorRow {
  id: string;
  /** 1-based line in the dataset. */
  line: number;
  /** Why, e.g. the prompt is longer than the model's context. */
  error: string;
}

export function isAnnotationError(r: AnnotationRow | AnnotationErrorRow): r is AnnotationErrorRow {
  return typeof (r as AnnotationErrorRow).error === 'string';
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
  /** Rows the model could not run in this run (e.g. longer than its context), written as error rows. */
  failed: { id: string; line: number; message: string }[];
  /** Error rows for the dataset's rows in the file after the run (this run's and earlier ones). */
  errors: number;
  /** Error rows of earlier runs run again (`retryErrors`). */
  retried: number;
  /** Labels of the dataset's result rows (error rows not included). */
  counts: Record<Label, number>;
}

/** What must match for a results file to be resumed: everything that changes a row. */
function runSettings(model: LensModel, o: AnnotateOptions, layers: number[], positions: ProjectionPosition[], resolved?: ResolvedRun) {
  return {
    schema: RUN_SETTINGS_SCHEMA,
    model: { name: model.summary.name, graphHash: model.summary.graphHash, tokenizerHash: model.summary.tokenizerHash },
    axes: o.axes.map((a) => ({ name: a.name, sha256: a.sha256 ?? null, method: a.meta.method })),
    layers,
    positions,
    interventions: o.interventions ?? [],
    decoding: o.decoding,
    batchSize: o.batchSize ?? DEFAULT_ANNOTATE_BATCH,
    // The reference set and what the model-relative interventions became: rows made against
    // another reference set (or another model's norms) are not resumed.
    ...(resolved ?? {}),
    // Only on a shard's file: the merged file's settings are exactly a one-machine run's.
    ...(o.shard ? { shard: o.shard } : {}),
  };
}

const sig = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

function meanOf(xs: number[], from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i];
  return s / (to - from);
}

interface ResolvedRun {
  reference?: ReferenceRecord;
  resolvedInterventions?: Intervention[];
}

/**
 * The reference record and resolved interventions of a run with model-relative interventions
 * (norm coefficients, percentile bounds), before any row runs; nothing for other runs.
 */
async function resolveRun(model: LensModel, o: AnnotateOptions): Promise<ResolvedRun | undefined> {
  const ivs = o.interventions ?? [];
  if (!ivs.some(isRelative)) return undefined;
  const spec = o.reference ?? DEFAULT_REFERENCE_SET;
  const stats = await model.referenceStats(spec, percentileAxes(ivs, o.axes), o.signal);
  const r = resolveInterventions(ivs, o.axes, stats);
  return { reference: referenceRecord(stats, r.percentiles), resolvedInterventions: r.interventions };
}

export function rowFromTrace(row: DatasetRow, t: TraceResult, layers: number[], positions: ProjectionPosition[], postLen: number): AnnotationRow {
  const nPrompt = t.tokens.filter((x) => !x.generated).length;
  const nAll = t.tokens.length;
  const projections: AnnotationRow['projections'] = {};
  t.axes.forEach((axis, a) => {
    const perLayer: AnnotationRow['projections'][string] = {};
    for (const l of layers) {
      const reads = t.readouts.projections[a][t.layers.indexOf(l)];
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
    ...(t.label.detail !== undefined ? { detail: t.label.detail } : {}),
    projections,
    ...(t.warnings?.length ? { warnings: t.warnings } : {}),
  };
}

type Traced = [DatasetRow, AnnotationRow | AnnotationErrorRow];

const promptChars = (r: DatasetRow) => r.messages.reduce((n, m) => n + m.content.length, r.prefill?.length ?? 0);

function errorRow(r: DatasetRow, e: unknown): AnnotationErrorRow {
  // "request.prompt: …" from the engine's one-request path: the row is the request here.
  const message = (e instanceof Error ? e.message : String(e)).replace(/^requests?(\[\d+\])?\./, '');
  return { id: r.id, line: r.line, error: message };
}

/**
 * Runs a group as one batch; if the engine rejects it (one bad row fails a whole batch), runs
 * its rows one by one, so a bad row becomes an error row and the others still run. A prompt
 * over LIMITS.promptChars is an error row at once. Cancellation is never swallowed.
 */
async function traceRows(model: LensModel, rows: DatasetRow[], o: AnnotateOptions, layers: number[], positions: ProjectionPosition[]): Promise<Traced[]> {
  const req = (r: DatasetRow) => ({ prompt: rowPrompt(r), axes: o.axes, interventions: o.interventions ?? [], decoding: o.decoding, ...(o.reference ? { reference: o.reference } : {}) });
  const toRow = (r: DatasetRow, t: TraceResult): Traced => [
    r,
    rowFromTrace(r, t, layers, positions, positions.includes('post_instruction') ? postInstructionLength(model, rowPrompt(r)) : 0),
  ];
  const opts = o.signal ? { signal: o.signal } : {};
  const tooLong = new Map<DatasetRow, AnnotationErrorRow>();
  for (const r of rows) {
    // Not tokenized: tokenizing a 10 MB line alone took 27 s on the built-in model.
    const n = promptChars(r);
    if (n > LIMITS.promptChars) tooLong.set(r, errorRow(r, new Error(`prompt: ${n} characters is over the limit of ${LIMITS.promptChars} (no model's context holds it); not run`)));
  }
  const runnable = rows.filter((r) => !tooLong.has(r));
  const ran = new Map<DatasetRow, Traced>();
  const runOne = async (r: DatasetRow) => {
    try {
      const [t] = await model.traceBatch([req(r)], opts);
      ran.set(r, toRow(r, t));
    } catch (e) {
      if (o.signal?.aborted) throw e;
      ran.set(r, [r, errorRow(r, e)]);
    }
  };
  if (runnable.length === 1) await runOne(runnable[0]);
  else if (runnable.length > 1) {
    let traces: TraceResult[] | undefined;
    try {
      traces = await model.traceBatch(runnable.map(req), opts);
    } catch (e) {
      if (o.signal?.aborted) throw e;
    }
    if (traces) runnable.forEach((r, i) => ran.set(r, toRow(r, traces[i])));
    else for (const r of runnable) await runOne(r);
  }
  return rows.map((r) => (tooLong.has(r) ? [r, tooLong.get(r)!] : ran.get(r)!));
}

export async function annotate(model: LensModel, datasetPath: string, outPath: string, o: AnnotateOptions): Promise<AnnotateSummary> {
  const L = model.summary.layers;
  const layers = o.layers ?? Array.from({ length: L }, (_, l) => l);
  for (const l of layers) if (!Number.isInteger(l) || l < 0 || l >= L) throw new Error(`annotate: layer ${l} is outside 0..${L - 1}`);
  const positions = o.positions ?? [...DEFAULT_ANNOTATE_POSITIONS];
  const batchSize = o.batchSize ?? DEFAULT_ANNOTATE_BATCH;
  const { rows: all, diagnostics } = await readDataset(datasetPath, datasetPath, o.fields ?? {}, 'dataset');
  const rows = o.shard ? shardRows(all, batchSize, o.shard) : all;

  // Nothing is written, not even the lock, before the file proved to be ours (or absent or empty).
  if (!existsSync(path.dirname(outPath))) throw new Error(`${outPath}: the folder ${path.dirname(outPath)} does not exist`);
  assertOwnResultsFile(outPath);
  let lock;
  try {
    lock = acquireLock(outPath, 'annotate');
  } catch (e) {
    if (e instanceof LockHeldError) throw new ResultsFileError(e.message, 'locked');
    throw new Error(`${outPath}: cannot create the lock file beside it: ${(e as Error).message}`);
  }
  try {
    return await annotateLocked(model, rows, diagnostics, outPath, o, layers, positions, batchSize);
  } finally {
    lock.release();
  }
}

async function annotateLocked(
  model: LensModel, rows: DatasetRow[], diagnostics: Diagnostic[], outPath: string, o: AnnotateOptions, layers: number[], positions: ProjectionPosition[], batchSize: number,
): Promise<AnnotateSummary> {
  const settingsFile = sidecarPathFor(outPath);
  const settings = canonicalJson(runSettings(model, o, layers, positions, await resolveRun(model, o)));
  if (o.restart) writeFileSync(outPath, '');
  const existing = openExisting(outPath);
  if (existing.rows.size) {
    let previous: string | undefined;
    try {
      // `device` is a record of where rows ran, not a setting: a resume on another device is allowed.
      const { device: _device, ...prev } = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
      previous = canonicalJson(prev);
    } catch {
      previous = undefined;
    }
    if (previous !== settings) {
      throw new ResultsFileError(
        `${outPath} holds ${existing.rows.size} rows ${previous ? 'made with different settings (model, axes, layers, positions, interventions, decoding or batch size)' : `but no readable ${settingsFile}`}; ` +
          'write to another file, or start over with the restart option (CLI: --restart)',
        'mismatch',
      );
    }
  }
  const device = model.summary.device?.device;
  writeFileSync(settingsFile, JSON.stringify(JSON.parse(canonicalJson({ ...JSON.parse(settings), ...(device ? { device } : {}) })), null, 2) + '\n');

  // Retrying: drop the dataset's error rows first (atomically), so a kill midway leaves them to run.
  let retried = 0;
  if (o.retryErrors) {
    for (const r of rows) {
      const line = existing.rows.get(r.id);
      if (line !== undefined && isErrorLine(JSON.parse(line))) {
        existing.rows.delete(r.id);
        retried++;
      }
    }
    if (retried) replaceAtomically(outPath, [...existing.rows.values()]);
  }

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
      const results = await traceRows(model, todo, o, layers, positions);
      const lines = results.map(([, row]) => JSON.stringify(row));
      appender.appendBatch(lines);
      results.forEach(([r], i) => existing.rows.set(r.id, lines[i]));
      for (const [, row] of results) {
        if (isAnnotationError(row)) failed.push({ id: row.id, line: row.line, message: row.error });
        o.onRow?.(row);
      }
      ran += results.length;
      progress.report((done += todo.length));
    }
  } finally {
    appender.close();
  }
  // Dataset order, then rows of ids the dataset no longer has (kept, never dropped).
  const inDataset = new Set(rows.map((r) => r.id));
  const ours = rows.map((r) => existing.rows.get(r.id)).filter((l): l is string => l !== undefined);
  const ordered = [...ours, ...[...existing.rows].filter(([id]) => !inDataset.has(id)).map(([, l]) => l)];
  const current = [...existing.rows.values()];
  if (ordered.some((l, i) => l !== current[i])) replaceAtomically(outPath, ordered);
  const counts: Record<Label, number> = { refusal: 0, bypass: 0, degenerate: 0 };
  let errors = 0;
  for (const l of ours) {
    const x = JSON.parse(l) as AnnotationRow | AnnotationErrorRow;
    if (isAnnotationError(x)) errors++;
    else if (x.label in counts) counts[x.label]++;
  }
  return {
    out: outPath,
    total: rows.length,
    resumed,
    ran,
    diagnostics,
    ...(existing.truncated ? { truncated: existing.truncated } : {}),
    foreign: ordered.length - ours.length,
    failed,
    errors,
    retried,
    counts,
  };
}
