// Annotation results as the editor sees them: results files read from disk (re-read when they
// change) plus rows streamed by a running annotation, and the CodeLens on each dataset line.
import { statSync } from 'node:fs';
import * as vscode from 'vscode';
import { readResultsText } from '../../engine/experiments/results-file';
import { readSettings } from '../config';
import { isDatasetPath } from './context';
import { inlineText, parseResults, resultsByLine, resultsPathFor, rowDetails, type ResultRow } from './results';

const MAX_SCAN_CHARS = 8 * 1024 * 1024;
const MAX_LENSES = 5000;

interface Cached {
  mtimeMs: number;
  size: number;
  rows: Map<string, ResultRow>;
  bad: number;
}

/** Results files read from disk (re-read when they change) plus rows streamed by a running annotation. */
export class ResultsStore implements vscode.Disposable {
  private readonly cache = new Map<string, Cached>();
  private readonly live = new Map<string, Map<string, ResultRow>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private timer: NodeJS.Timeout | undefined;

  resultsPath(dataset: string): string {
    return resultsPathFor(dataset, readSettings().annotateResultsFile);
  }

  /** The rows for `dataset` by id, or undefined when it has no results yet. */
  rowsFor(dataset: string): { rows: Map<string, ResultRow>; bad: number; file: string } | undefined {
    const file = this.resultsPath(dataset);
    let disk: Cached | undefined;
    try {
      const st = statSync(file);
      disk = this.cache.get(file);
      if (!disk || disk.mtimeMs !== st.mtimeMs || disk.size !== st.size) {
        const parsed = parseResults(readResultsText(file));
        disk = { mtimeMs: st.mtimeMs, size: st.size, ...parsed };
        this.cache.set(file, disk);
      }
    } catch {
      this.cache.delete(file);
    }
    const live = this.live.get(file);
    if (!disk && !live?.size) return undefined;
    const rows = new Map(disk?.rows ?? []);
    for (const [id, r] of live ?? []) if (!rows.has(id)) rows.set(id, r);
    return { rows, bad: disk?.bad ?? 0, file };
  }

  addLive(file: string, row: ResultRow): void {
    let m = this.live.get(file);
    if (!m) this.live.set(file, (m = new Map()));
    m.set(row.id, row);
    this.changedSoon();
  }
  endLive(file: string): void {
    this.live.delete(file);
    this.cache.delete(file);
    this.changedSoon();
  }
  invalidate(file: string): void {
    this.cache.delete(file);
    this.changedSoon();
  }
  /** Coalesces bursts of rows into one refresh of lenses and views. */
  changedSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, 150);
  }
  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
  }
}

/** Above each annotated dataset line: its label, refusal score and projections (hover: all of them). */
export class ResultsCodeLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;
  constructor(private readonly store: ResultsStore) {
    this.onDidChangeCodeLenses = store.onDidChange;
  }
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (doc.uri.scheme !== 'file' || !isDatasetPath(doc.uri.fsPath)) return [];
    const text = doc.getText();
    if (text.length > MAX_SCAN_CHARS) return [];
    const res = this.store.rowsFor(doc.uri.fsPath);
    if (!res) return [];
    const layer = readSettings().annotateInlineLayer;
    return resultsByLine(text, res.rows)
      .slice(0, MAX_LENSES)
      .map(({ line, row }) => new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
        title: inlineText(row, { layer }),
        tooltip: rowDetails(row),
        command: 'refusalLens.openDatasetView',
        arguments: [doc.uri],
      }));
  }
}
