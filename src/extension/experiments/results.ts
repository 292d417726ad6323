// Annotation results in the editor, the pure part (no `vscode`, unit-tested): where a dataset's
// results file lies, reading one that a running or killed annotation may still be writing,
// matching results to dataset lines by row id (lines move; ids do not), and the inline text.
import * as path from 'node:path';
import { assertOwnResultsFile } from '../../engine/experiments/results-file';
import { describeOwner, lockHolder } from '../../engine/io/lock';
import { parseJsonl } from '../../engine/prompts/index';
import type { AnnotatedErrorRow, AnnotatedRow, AnnotatePosition, ExperimentProgressParams } from '../../protocol/rpc';
import { isLabel } from '../../protocol/types';
import { valueTooDeep } from '../../protocol/nesting';

/** A result row as the editor keeps it: what the worker streams, plus the response when read from the file. */
export type LabelledRow = AnnotatedRow & { response?: string };
/** A results row: a result, or an error row (the model could not run that dataset row). */
export type ResultRow = LabelledRow | AnnotatedErrorRow;

export function isErrorRow(r: ResultRow): r is AnnotatedErrorRow {
  return typeof (r as AnnotatedErrorRow).error === 'string';
}

export const RESULTS_SUFFIX = '.results.jsonl';

export function isResultsFile(file: string): boolean {
  return file.endsWith(RESULTS_SUFFIX);
}

/**
 * The results file for `dataset`: `<dir>/<name>.results.jsonl` by default; `pattern` (the
 * `refusalLens.annotate.resultsFile` setting) may use `${dir}` and `${name}` (the dataset's
 * file name without `.jsonl`); a relative result is relative to the dataset's folder.
 */
export function resultsPathFor(dataset: string, pattern = ''): string {
  const dir = path.dirname(dataset);
  const name = path.basename(dataset).replace(/\.jsonl$/i, '');
  const p = pattern.trim();
  if (!p) return path.join(dir, name + RESULTS_SUFFIX);
  const expanded = p.replace(/\$\{dir\}/g, dir).replace(/\$\{name\}/g, name);
  return path.resolve(dir, expanded);
}

/**
 * Why Annotate Dataset must not write `out`, or undefined: it is not a results file of ours (the
 * engine's check: nothing is changed), or another run (CLI, worker, another window) holds its
 * lock. `fromSetting`: the path came from refusalLens.annotate.resultsFile, so the message names it.
 */
export function resultsFileRefusal(out: string, fromSetting: boolean): string | undefined {
  try {
    assertOwnResultsFile(out);
  } catch (e) {
    return `${(e as Error).message}${fromSetting ? ' (check refusalLens.annotate.resultsFile)' : ''}.`;
  }
  const holder = lockHolder(out);
  return holder ? `${path.basename(out)} is being written by another ${describeOwner(holder)}; wait for it to finish.` : undefined;
}

function isRow(x: unknown): x is ResultRow {
  const r = x as LabelledRow & { error?: unknown };
  if (typeof r !== 'object' || r === null || typeof r.id !== 'string') return false;
  if (typeof r.error === 'string') return true;
  return isLabel(r.label) && typeof r.refusalScore === 'number' && typeof r.projections === 'object' && r.projections !== null;
}

/**
 * Rows of a results file by id. Tolerant: a line that is not a results row is counted in
 * `bad` and skipped; a last line without its newline (a run writing or killed) is ignored.
 */
export function parseResults(text: string): { rows: Map<string, ResultRow>; bad: number } {
  const rows = new Map<string, ResultRow>();
  let bad = 0;
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop(); // incomplete (or empty) last line
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const x = JSON.parse(line) as unknown;
      // The lenses and the summary walk a row's values recursively: a too-deep row counts as bad.
      if (isRow(x) && !valueTooDeep(x)) rows.set(x.id, x);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { rows, bad };
}

export interface LineResult {
  /** 0-based line in the dataset as it is now. */
  line: number;
  id: string;
  row: ResultRow;
}

/** Each readable dataset row that has a result, at the line where the row is now. */
export function resultsByLine(datasetText: string, results: ReadonlyMap<string, ResultRow>): LineResult[] {
  if (results.size === 0) return [];
  const out: LineResult[] = [];
  for (const r of parseJsonl(datasetText, 'dataset').rows) {
    const row = results.get(r.id);
    if (row) out.push({ line: r.line - 1, id: r.id, row });
  }
  return out;
}

export interface InlineChoice {
  /** Layer to show (0-based); absent, negative or not in the row: the highest layer the row has. */
  layer?: number;
  /** Position to show; absent or not in the row: the first one the row has. */
  position?: AnnotatePosition;
}

/** Formats a projection with 3 significant digits and a real minus sign. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
  return s.replace(/^-/, '−');
}

/** The (layer, position) cell an inline hint shows for `row`, or undefined when it has no projections. */
export function inlineCell(row: ResultRow, choice: InlineChoice = {}): { layer: string; position: AnnotatePosition } | undefined {
  if (isErrorRow(row)) return undefined;
  const first = Object.values(row.projections)[0];
  if (!first) return undefined;
  const layers = Object.keys(first).sort((a, b) => Number(a) - Number(b));
  if (!layers.length) return undefined;
  const layer = choice.layer !== undefined && choice.layer >= 0 && layers.includes(String(choice.layer)) ? String(choice.layer) : layers[layers.length - 1]!;
  const positions = Object.keys(first[layer] ?? {}) as AnnotatePosition[];
  if (!positions.length) return undefined;
  const position = choice.position && positions.includes(choice.position) ? choice.position : positions[0]!;
  return { layer, position };
}

/** "refusal · score 0.91 · persona −1.23 · refusal 4.5 @ L3 last_prompt": the text shown on a dataset line. */
export function inlineText(row: ResultRow, choice: InlineChoice = {}): string {
  if (isErrorRow(row)) return `error · ${row.error.length > 80 ? row.error.slice(0, 80) + '…' : row.error}`;
  const parts = [row.label, `score ${fmt(row.refusalScore)}`];
  const cell = inlineCell(row, choice);
  if (cell) {
    const values = Object.entries(row.projections).map(([axis, layers]) => {
      const v = layers[cell.layer]?.[cell.position];
      return `${axis} ${v === undefined ? '–' : fmt(v)}`;
    });
    parts.push(`${values.join(' · ')} @ L${cell.layer} ${cell.position}`);
  }
  return parts.join(' · ');
}

/** Every projection of a row, one line per axis and layer: the hover / tooltip text. */
export function rowDetails(row: ResultRow): string {
  if (isErrorRow(row)) return `error, id ${row.id}: the model could not run this row (Retry Errors after Annotate Dataset, or the CLI's --retry-errors, runs it again)\n${row.error}`;
  const lines = [`${row.label} (refusal score ${fmt(row.refusalScore)}), id ${row.id}`];
  for (const [axis, layers] of Object.entries(row.projections)) {
    for (const [layer, cell] of Object.entries(layers)) {
      lines.push(`${axis} L${layer}: ${Object.entries(cell).map(([p, v]) => `${p} ${fmt(v as number)}`).join(', ')}`);
    }
  }
  if (row.response !== undefined) lines.push(`response: ${row.response.length > 200 ? row.response.slice(0, 200) + '…' : row.response}`);
  return lines.join('\n');
}

/** "12/40 · 30% · ETA 1 min 05 s" */
export function progressMessage(p: ExperimentProgressParams): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
  const eta = p.etaMs !== undefined && p.done < p.total ? ` · ETA ${duration(p.etaMs)}` : '';
  return `${p.phase === 'annotate' || p.phase === 'ablate' ? '' : `${p.phase}: `}${p.done}/${p.total} · ${pct}%${eta}`;
}
function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
