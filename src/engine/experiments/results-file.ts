// The append-only results JSONL behind resumable runs. Invariants: the file only ever holds
// whole lines (each batch is appended with one write of whole lines, then fsync'd, so a kill
// between or during batches leaves at most one trailing partial line); on open, a trailing
// partial line is reported and cut off, but only after every complete line proved to be a row
// (so a file that is not ours is never changed); the final reordering replaces the file
// atomically (temp file + fsync + rename), so at no moment is a finished row missing from disk.
// A file is only ever written when it is absent, empty, or ours: its sidecar `<file>.run.json`
// has our schema, or its first line is a results row (see assertOwnResultsFile).
import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readFileSync, readSync, renameSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { isLabel } from '../../protocol/types';
import { LIMITS } from '../../protocol/limits';
import { FileReadError, readBoundedFile } from '../io/read';

/** The `schema` of a results file's sidecar `<file>.run.json`. */
export const RUN_SETTINGS_SCHEMA = 'refusal-lens.annotate-run/1';

export interface ExistingResults {
  /** id → the line's text (without newline), in file order. */
  rows: Map<string, string>;
  /** A trailing partial line that was cut off (a run killed mid-write). */
  truncated?: { line: number; bytes: number };
}

/**
 * Why a results file cannot be used: `mismatch` (made with other settings; starting over is
 * possible), `foreign` (not a results file of ours: nothing is changed), `corrupt` (a line that is
 * not a row, or an id twice), `locked` (another run is writing it).
 */
export type ResultsFileProblem = 'mismatch' | 'foreign' | 'corrupt' | 'locked';

export class ResultsFileError extends Error {
  constructor(
    message: string,
    readonly problem: ResultsFileProblem = 'corrupt',
  ) {
    super(message);
    this.name = 'ResultsFileError';
  }
}

export const sidecarPathFor = (file: string) => `${file}.run.json`;

/** A results row as written by annotate: a result (label, score, projections) or an error row. */
export function isResultsLine(x: unknown): boolean {
  const r = x as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || typeof r.id !== 'string' || !Number.isInteger(r.line)) return false;
  if (typeof r.error === 'string') return true;
  return isLabel(r.label) && typeof r.refusalScore === 'number' && typeof r.projections === 'object' && r.projections !== null;
}

export function isErrorLine(x: unknown): boolean {
  return isResultsLine(x) && typeof (x as { error?: unknown }).error === 'string';
}

/** Whether `file` holds a run-settings sidecar of ours. */
function ownSidecar(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { schema?: unknown })?.schema === RUN_SETTINGS_SCHEMA;
  } catch {
    return false;
  }
}

/** The first line of `file` (up to 1 MiB), without reading the rest. */
function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    const nl = text.indexOf('\n');
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws ResultsFileError('foreign') unless `file` may be written by annotate: it is absent or
 * empty, or ours (its sidecar has our schema, or its first line is a results row). A sidecar
 * path holding something else is refused too, since annotate rewrites it. Changes nothing.
 */
export function assertOwnResultsFile(file: string): void {
  const sidecar = sidecarPathFor(file);
  const refuse = (why: string) => {
    throw new ResultsFileError(`${file}: ${why}; nothing was changed. Write the results to a new file, or move that file away first`, 'foreign');
  };
  let sidecarOurs = false;
  if (existsSync(sidecar)) {
    sidecarOurs = ownSidecar(sidecar);
    if (!sidecarOurs) refuse(`${path.basename(sidecar)} beside it is not a Refusal Lens run file (no "schema": "${RUN_SETTINGS_SCHEMA}")`);
  }
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return; // absent: ours to create
  }
  if (st.isSymbolicLink()) refuse('is a symbolic link (the results file is replaced on finishing, which would replace the link); give the path it points to');
  if (!st.isFile()) refuse('is not a regular file');
  if (st.size === 0 || sidecarOurs) return;
  let first: unknown;
  try {
    first = JSON.parse(firstLine(file));
  } catch {
    first = undefined;
  }
  if (!isResultsLine(first)) refuse(`exists and is not a Refusal Lens results file (no ${path.basename(sidecar)} beside it, and its first line is not a results row)`);
}

/** The results file's text, bounded (LIMITS.resultsFileBytes) so an oversized file is refused by name, not a V8 string error. */
export function readResultsText(file: string): string {
  try {
    return readBoundedFile(file, { what: 'results file', maxBytes: LIMITS.resultsFileBytes }).toString('utf8');
  } catch (e) {
    if (e instanceof FileReadError && e.code === undefined) {
      throw new ResultsFileError(`${e.message}; nothing was changed. Split the dataset (annotate --limit, or several files) and write each part to its own results file`, 'foreign');
    }
    throw e;
  }
}

/** Reads what a previous run left, cutting off a trailing partial line once the rest proved to be rows. */
export function openExisting(file: string): ExistingResults {
  const rows = new Map<string, string>();
  if (!existsSync(file)) return { rows };
  const text = readResultsText(file);
  const lastNl = text.lastIndexOf('\n');
  const whole = text.slice(0, lastNl + 1);
  const lines = whole.split('\n').slice(0, -1);
  lines.forEach((line, i) => {
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      x = undefined;
    }
    // A complete line that is not a row was not written by us: stop rather than guess.
    if (!isResultsLine(x)) throw new ResultsFileError(`${file}:${i + 1}: not a results row (no string "id" with a label or an error); fix or remove that line, or write to another file`);
    const id = (x as { id: string }).id;
    if (rows.has(id)) throw new ResultsFileError(`${file}:${i + 1}: id '${id}' appears twice; fix or remove one of the lines`);
    rows.set(id, line);
  });
  let truncated: ExistingResults['truncated'];
  if (lastNl + 1 < text.length) {
    const cut = Buffer.byteLength(text.slice(lastNl + 1));
    truncated = { line: lines.length + 1, bytes: cut };
    truncateSync(file, Buffer.byteLength(whole));
  }
  return { rows, ...(truncated ? { truncated } : {}) };
}

/** Appends batches of whole lines, durably. */
export class ResultsAppender {
  private fd: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }
  /** One write for the batch's whole lines, then fsync: after this returns, the batch is on disk. */
  appendBatch(lines: string[]): void {
    if (!lines.length) return;
    const buf = Buffer.from(lines.map((l) => l + '\n').join(''));
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Replaces `file` with `lines` atomically and durably. */
export function replaceAtomically(file: string, lines: string[]): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx');
  try {
    const buf = Buffer.from(lines.map((l) => l + '\n').join(''));
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  try {
    const dfd = openSync(path.dirname(file), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the rename itself is atomic.
  }
}
