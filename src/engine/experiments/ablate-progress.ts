// Finished generations of an ablation run, kept on disk as they complete so a rerun after a
// crash, a kill or a cancel resumes instead of starting over (issue 10, defect 5).
//
// <outDir>/progress.jsonl is append-only. Line 1 is a header with the run's key (a hash of the
// condition file, prompt sets, axes, model, decoding and batch size: anything that changes what a
// batch generates). Every later line is one finished batch of one job (condition or sweep
// window), written in one write and fsync'd, so a line is either whole or a torn tail that the
// next run cuts off. Batches are the unit because a batch's outputs can depend on its other rows
// (left padding): a rerun redoes whole batches the same way and gets the same bytes.
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { isLabel, type Label } from '../../protocol/types';
import { FileWriteError, fsReason, writeAll, writeFileAtomic, type WriteHooks } from '../io/atomic';

export const PROGRESS_FILE = 'progress.jsonl';
export const PROGRESS_SCHEMA = 'refusal-lens.ablate-progress/1';

export interface SavedRow {
  id: string;
  label: Label;
  refusalScore: number;
  response: string;
}

interface BatchLine {
  job: string;
  batch: number;
  rows: { id: string; label: Label; refusalScore: number | string; response: string }[];
}

// JSON has no Infinity/NaN; a degenerate output's score can be ±Infinity, and must come back as it was.
const encodeScore = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const decodeScore = (x: unknown): number | undefined => (typeof x === 'number' ? x : x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x === 'NaN' ? NaN : undefined);

function parseBatch(line: string): BatchLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  const b = v as BatchLine;
  if (!b || typeof b.job !== 'string' || !Number.isInteger(b.batch) || !Array.isArray(b.rows)) return undefined;
  for (const r of b.rows) {
    if (!r || typeof r.id !== 'string' || !isLabel(r.label) || typeof r.response !== 'string' || decodeScore(r.refusalScore) === undefined) return undefined;
  }
  return b;
}

/** Whether `dir` holds a progress file of ours with at least one finished batch (for "run again to resume"). */
export function hasSavedProgress(dir: string): boolean {
  try {
    const lines = readFileSync(path.join(dir, PROGRESS_FILE), 'utf8').split('\n');
    return (JSON.parse(lines[0]!) as { schema?: unknown }).schema === PROGRESS_SCHEMA && lines.length > 2;
  } catch {
    return false;
  }
}

export class ProgressLog {
  private readonly done = new Map<string, SavedRow[]>();
  private fd: number | undefined;

  private constructor(readonly file: string, private readonly hooks: WriteHooks) {}

  /**
   * Opens (or starts) the progress file of `dir` for the run `key`. A file from another run is
   * replaced (`onNotice` says so); a file that is not a progress file is left alone and refused.
   */
  static open(dir: string, key: string, meta: Record<string, unknown>, hooks: WriteHooks = {}, onNotice?: (m: string) => void): ProgressLog {
    const log = new ProgressLog(path.join(dir, PROGRESS_FILE), hooks);
    let text: string | undefined;
    try {
      text = readFileSync(log.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${log.file}: ${fsReason(e)}`);
    }
    let keep = -1; // bytes of the file that hold whole, valid lines of this run
    if (text !== undefined && text.length) {
      const nl = text.indexOf('\n');
      let header: { schema?: unknown; key?: unknown } | undefined;
      try {
        header = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as typeof header;
      } catch {
        header = undefined;
      }
      if (header?.schema !== PROGRESS_SCHEMA) {
        throw new Error(`${log.file} is not an ablation progress file (its first line is not a ${PROGRESS_SCHEMA} header); it was left alone: move it, or choose another output folder`);
      }
      if (header.key !== key || nl < 0) {
        if (nl >= 0) onNotice?.(`${PROGRESS_FILE} in ${dir} was saved by a run of another condition file, prompt set, model or batch size; starting over`);
      } else {
        keep = nl + 1;
        let start = nl + 1;
        for (;;) {
          const end = text.indexOf('\n', start);
          if (end < 0) break; // a torn last line (a crash mid-write): cut off below
          const b = parseBatch(text.slice(start, end));
          if (!b) break; // anything after a damaged line is redone, not trusted
          log.done.set(`${b.job}#${b.batch}`, b.rows.map((r) => ({ id: r.id, label: r.label, refusalScore: decodeScore(r.refusalScore)!, response: r.response })));
          start = end + 1;
          keep = start;
        }
      }
    }
    if (keep < 0) {
      writeFileAtomic(log.file, JSON.stringify({ schema: PROGRESS_SCHEMA, key, ...meta }) + '\n', hooks);
    }
    try {
      // Append mode: every write lands at the end, after the torn tail (if any) is cut off.
      log.fd = openSync(log.file, 'a');
      if (keep >= 0 && keep < text!.length) ftruncateSync(log.fd, Buffer.byteLength(text!.slice(0, keep)));
    } catch (e) {
      log.close();
      throw new FileWriteError(log.file, fsReason(e), (e as NodeJS.ErrnoException).code);
    }
    return log;
  }

  /** Rows resumed so far (for progress). */
  get savedRows(): number {
    let n = 0;
    for (const rows of this.done.values()) n += rows.length;
    return n;
  }

  /** A finished batch, when it was saved with exactly these prompt ids. */
  get(job: string, batch: number, ids: readonly string[]): SavedRow[] | undefined {
    const rows = this.done.get(`${job}#${batch}`);
    if (!rows || rows.length !== ids.length || rows.some((r, i) => r.id !== ids[i])) return undefined;
    return rows;
  }

  /** Appends one finished batch as one line and fsyncs it. */
  append(job: string, batch: number, rows: readonly SavedRow[]): void {
    if (this.fd === undefined) throw new Error(`${this.file} is closed`);
    const line: BatchLine = { job, batch, rows: rows.map((r) => ({ id: r.id, label: r.label, refusalScore: encodeScore(r.refusalScore), response: r.response })) };
    const data = Buffer.from(JSON.stringify(line) + '\n', 'utf8');
    try {
      const write = this.hooks.write ?? ((fd: number, d: Uint8Array) => writeAll(fd, d));
      write(this.fd, data, this.file);
      fsyncSync(this.fd);
    } catch (e) {
      throw new FileWriteError(this.file, `${fsReason(e)}; the batches finished before this one are kept there and a rerun resumes from them`, (e as NodeJS.ErrnoException).code);
    }
    this.done.set(`${job}#${batch}`, [...rows]);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Once the receipt is written, responses.jsonl holds every row: the progress file can go. */
  static removeFrom(dir: string): void {
    try {
      unlinkSync(path.join(dir, PROGRESS_FILE));
    } catch {
      // already gone
    }
  }
}
