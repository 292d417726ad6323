// Experiments in the editor (issue 4): Annotate Dataset (progress with ETA, cancel, resume),
// labels and projections inline on each dataset line (keyed by row id, updated as rows stream
// in), the annotation summary view, Run Ablation Check with located condition-file diagnostics,
// and the receipt view. The engine work happens in the worker (src/worker/experiments.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnnotationErrorRow, AnnotationRow } from '../../engine/experiments/annotate';
import { summariseAnnotations } from '../../engine/experiments/annotate-summary';
import type { Receipt } from '../../engine/experiments/receipt';
import { lockHolder } from '../../engine/io/lock';
import { readResultsText } from '../../engine/experiments/results-file';
import { parseJsonl } from '../../engine/prompts/index';
import { parseLayerSpec } from '../../engine/prompts/layers';
import {
  Ablate,
  Annotate,
  AnnotateRow,
  CheckConditions,
  ErrorCodes,
  ExperimentProgress,
  type AblateResult,
  type AnnotatePosition,
  type AnnotateResult,
  type CheckConditionsResult,
  type ConditionIssue,
  type ExperimentProgressParams,
} from '../../protocol/rpc';
import { readSettings, type Settings } from '../config';
import type { Controller } from '../controller';
import { confirmLoads } from '../trust';
import { CancelledError } from '../workerClient';
import { issueSpan, issuesSummary } from './conditionIssues';
import { page, receiptBody, summaryBody } from './render';
import { ANNOTATE_POSITIONS, DEFAULT_ANNOTATE_POSITIONS, isAnnotatePosition } from '../../protocol/annotate';
import { readReceiptFile } from '../../engine/experiments/receipt-check';
import { inlineText, isResultsFile, parseResults, progressMessage, resultsByLine, resultsFileRefusal, resultsPathFor, rowDetails, type ResultRow } from './results';

const MAX_SCAN_CHARS = 8 * 1024 * 1024;
const MAX_LENSES = 5000;
export const SUMMARY_VIEW = 'refusalLens.annotationSummary';
export const RECEIPT_VIEW = 'refusalLens.receipt';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const codeOf = (e: unknown) => (e as { code?: unknown } | null)?.code;

function isDatasetPath(p: string): boolean {
  return p.endsWith('.jsonl') && !isResultsFile(p);
}
function isConditionPath(p: string): boolean {
  return /\.(ya?ml|json)$/i.test(p);
}

// ───────────────────────────── results of datasets ─────────────────────────────

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
        command: 'refusalLens.showAnnotationSummary',
        arguments: [doc.uri],
      }));
  }
}

// ───────────────────────────── the experiments UI ─────────────────────────────

export class ExperimentsUi implements vscode.Disposable {
  readonly store = new ResultsStore();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly conditionDiagnostics = vscode.languages.createDiagnosticCollection('refusalLens.conditions');
  private readonly running = new Set<string>();
  private readonly summaries = new Map<string, vscode.WebviewPanel>();
  private receiptPanel: vscode.WebviewPanel | undefined;
  private runs = 0;

  constructor(
    private readonly controller: Controller,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.jsonl');
    const touch = (u: vscode.Uri) => this.store.invalidate(u.fsPath);
    this.disposables.push(
      this.store,
      this.conditionDiagnostics,
      watcher,
      watcher.onDidChange(touch),
      watcher.onDidCreate(touch),
      watcher.onDidDelete(touch),
      vscode.languages.registerCodeLensProvider([{ scheme: 'file', pattern: '**/*.jsonl' }], new ResultsCodeLensProvider(this.store)),
      this.store.onDidChange(() => this.refreshSummaries()),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        // A condition file we flagged: check it again so fixed problems go away.
        if (this.conditionDiagnostics.has(doc.uri)) void this.checkConditions(doc.uri).catch((e) => this.log.warn(`checking ${doc.uri.fsPath}: ${errorText(e)}`));
      }),
    );
  }

  dispose(): void {
    for (const p of this.summaries.values()) p.dispose();
    this.receiptPanel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** The file a command acts on: its argument, else the active editor's when it fits, else one the user picks. */
  private async pickFile(arg: unknown, fits: (p: string) => boolean, title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
    if (arg instanceof vscode.Uri) return arg;
    if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === 'file' && fits(active.fsPath)) return active;
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters, title });
    return picked?.[0];
  }

  /** The engine reads files from disk: unsaved edits would be ignored, so ask first. */
  private async savedOrAsk(uri: vscode.Uri): Promise<boolean> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc?.isDirty) return true;
    const a = await vscode.window.showWarningMessage(`${path.basename(uri.fsPath)} has unsaved changes; the run reads the file on disk.`, { modal: true }, 'Save and Run');
    return a === 'Save and Run' && (await doc.save());
  }

  // ───────────── Annotate Dataset ─────────────

  async annotate(arg?: unknown, opts: { restart?: boolean; retryErrors?: boolean } = {}): Promise<AnnotateResult | undefined> {
    const uri = await this.pickFile(arg, isDatasetPath, 'Annotate Dataset: a JSONL prompt dataset', { 'JSONL datasets': ['jsonl'] });
    if (!uri) return undefined;
    const dataset = uri.fsPath;
    const name = path.basename(dataset);
    if (isResultsFile(dataset)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${name} is a results file; run Annotate Dataset on its dataset.`);
      return undefined;
    }
    if (this.running.has(dataset)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${name} is being annotated already.`);
      return undefined;
    }
    if (!(await this.savedOrAsk(uri))) return undefined;
    const problems: string[] = [];
    const settings = readSettings(problems);
    for (const p of problems) this.log.warn(`settings: ${p}`);
    const positions = (settings.annotatePositions.length ? settings.annotatePositions : [...DEFAULT_ANNOTATE_POSITIONS]) as AnnotatePosition[];
    const badPos = positions.filter((p) => !isAnnotatePosition(p));
    if (badPos.length) {
      void vscode.window.showErrorMessage(`Refusal Lens: refusalLens.annotate.positions: ${badPos.join(', ')} is not one of ${ANNOTATE_POSITIONS.join(', ')}.`);
      return undefined;
    }
    const out = this.store.resultsPath(dataset);
    if (path.resolve(out) === path.resolve(dataset)) {
      void vscode.window.showErrorMessage('Refusal Lens: refusalLens.annotate.resultsFile names the dataset itself.');
      return undefined;
    }
    // The worker checks these again under the lock; here they fail before a model loads.
    const refused = resultsFileRefusal(out, settings.annotateResultsFile !== '');
    if (refused) {
      void vscode.window.showErrorMessage(`Refusal Lens: ${refused}`);
      return undefined;
    }
    this.running.add(dataset);
    let last: ExperimentProgressParams | undefined;
    const runId = `annotate-${process.pid}-${++this.runs}`;
    const offRow = this.controller.client.onNotification(AnnotateRow, (p) => p.runId === runId && this.store.addLive(out, p.row));
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Refusal Lens: annotating ${name}`, cancellable: true },
        async (progress, token) => {
          progress.report({ message: 'starting engine' });
          const target = await this.controller.target(settings, undefined);
          const { model, axes } = await this.controller.session.prepare(target, token, (message) => progress.report({ message }));
          let layers: number[];
          try {
            layers = parseLayerSpec(settings.annotateLayers, model.layers);
          } catch (e) {
            throw new Error(`refusalLens.annotate.layers: ${errorText(e)}`);
          }
          if (!axes.length) this.log.warn(`annotate ${name}: no axes loaded; rows carry labels and refusal scores only`);
          let shown = 0;
          const offProgress = this.controller.client.onNotification(ExperimentProgress, (p) => {
            if (p.runId !== runId) return;
            last = p;
            const pct = p.total ? (100 * p.done) / p.total : 0;
            progress.report({ message: progressMessage(p), increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          });
          try {
            return await this.controller.client.request(
              Annotate,
              {
                runId, dataset, out, layers, positions,
                axes: axes.map((a) => a.name),
                decoding: { maxNewTokens: settings.maxNewTokens },
                batchSize: settings.annotateBatchSize,
                ...(opts.restart ? { restart: true } : {}),
                ...(opts.retryErrors ? { retryErrors: true } : {}),
              },
              token,
            );
          } finally {
            offProgress();
          }
        },
      );
      this.reportAnnotation(uri, result);
      return result;
    } catch (err) {
      if (err instanceof CancelledError) {
        const done = last ? `${last.done} of ${last.total} rows are done and kept` : 'finished rows are kept';
        void vscode.window.showInformationMessage(`Refusal Lens: annotating ${name} cancelled; ${done}. Run Annotate Dataset again to resume.`);
        return undefined;
      }
      if (codeOf(err) === ErrorCodes.ResultsMismatch && /restart/.test(errorText(err)) && !opts.restart) {
        const a = await vscode.window.showWarningMessage(
          `Refusal Lens: ${errorText(err).replace(/; write to another file.*$/, '')}. Start over? This discards the rows in ${path.basename(out)}.`,
          { modal: true },
          'Start Over',
        );
        this.running.delete(dataset);
        return a === 'Start Over' ? this.annotate(uri, { restart: true }) : undefined;
      }
      if (codeOf(err) === ErrorCodes.ResultsRefused) {
        const fromSetting = settings.annotateResultsFile !== '' ? ' (the results file named by refusalLens.annotate.resultsFile)' : '';
        void vscode.window.showErrorMessage(`Refusal Lens: cannot annotate ${name}: ${errorText(err)}${fromSetting}.`);
        return undefined;
      }
      const message = errorText(err);
      this.log.error(`annotate ${dataset}: ${message}`);
      void vscode.window.showErrorMessage(`Refusal Lens: annotating ${name} failed: ${message}`, 'Show Log').then((a) => a && this.log.show());
      return undefined;
    } finally {
      offRow();
      this.running.delete(dataset);
      this.store.endLive(out);
    }
  }

  private reportAnnotation(uri: vscode.Uri, r: AnnotateResult): void {
    const name = path.basename(uri.fsPath);
    for (const s of r.skipped) this.log.warn(`${name}:${s.line}: skipped: ${s.field ? `${s.field}: ` : ''}${s.message}`);
    for (const f of r.failed) this.log.warn(`${name}:${f.line} (id ${f.id}): error row: ${f.message}`);
    if (r.truncated) this.log.info(`${path.basename(r.out)}: cut off a half-written line left by an interrupted run (line ${r.truncated.line}); that row ran again`);
    const n = r.counts.refusal + r.counts.bypass + r.counts.degenerate;
    const extra = [
      r.resumed ? `${r.resumed} resumed` : '',
      r.skipped.length ? `${r.skipped.length} unreadable line${r.skipped.length === 1 ? '' : 's'} skipped` : '',
      r.errors ? `${r.errors} error row${r.errors === 1 ? '' : 's'}: the model could not run ${r.errors === 1 ? 'it' : 'them'}${r.failed.length ? ' (see log)' : ''}` : '',
    ].filter(Boolean);
    const text = `Refusal Lens: ${name}: ${n} rows: refusal ${r.counts.refusal}, bypass ${r.counts.bypass}, degenerate ${r.counts.degenerate}${extra.length ? ` (${extra.join(', ')})` : ''}.`;
    const show = r.errors ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    // Error rows stay on a resume (their causes rarely go away by themselves); this runs them again.
    void show(text, 'Show Summary', 'Open Results', ...(r.errors ? ['Retry Errors'] : [])).then((a) => {
      if (a === 'Retry Errors') void this.annotate(uri, { retryErrors: true });
      if (a === 'Show Summary') this.showSummary(uri);
      if (a === 'Open Results') void vscode.window.showTextDocument(vscode.Uri.file(r.out), { preview: true, viewColumn: vscode.ViewColumn.Beside });
    });
  }

  // ───────────── summary view ─────────────

  /** The summary of a dataset's results (or of a results file opened by itself). */
  showSummary(arg?: unknown): void {
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.jsonl')) {
      void vscode.window.showInformationMessage('Refusal Lens: open an annotated .jsonl dataset to see its summary.');
      return;
    }
    const dataset = isResultsFile(uri.fsPath) ? uri.fsPath.slice(0, -'.results.jsonl'.length) + '.jsonl' : uri.fsPath;
    if (!this.store.rowsFor(dataset)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${path.basename(dataset)} has no results yet: run Annotate Dataset.`);
      return;
    }
    let panel = this.summaries.get(dataset);
    if (panel) panel.reveal(undefined, true);
    else {
      panel = vscode.window.createWebviewPanel(SUMMARY_VIEW, `Summary: ${path.basename(dataset)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false, localResourceRoots: [] });
      this.summaries.set(dataset, panel);
      panel.onDidDispose(() => this.summaries.delete(dataset));
    }
    this.renderSummary(dataset, panel);
  }

  private refreshSummaries(): void {
    for (const [dataset, panel] of this.summaries) this.renderSummary(dataset, panel);
  }

  private renderSummary(dataset: string, panel: vscode.WebviewPanel): void {
    const res = this.store.rowsFor(dataset);
    let rows = [...(res?.rows.values() ?? [])];
    let pending: number | undefined;
    try {
      const ids = parseJsonl(readFileSync(dataset, 'utf8'), dataset).rows.map((r) => r.id);
      const inDataset = new Set(ids);
      rows = rows.filter((r) => inDataset.has(r.id));
      pending = ids.filter((id) => !res?.rows.has(id)).length;
    } catch {
      // the dataset is gone or unreadable: summarise the whole results file
    }
    const s = summariseAnnotations(rows as (AnnotationRow | AnnotationErrorRow)[]);
    const body = summaryBody({
      dataset: vscode.workspace.asRelativePath(dataset, false),
      results: vscode.workspace.asRelativePath(res?.file ?? this.store.resultsPath(dataset), false),
      counts: s.counts,
      errors: s.errors,
      projections: s.projections,
      ...(pending !== undefined ? { pending } : {}),
      bad: res?.bad ?? 0,
      running: this.running.has(dataset) || (res?.file !== undefined && lockHolder(res.file) !== undefined),
    });
    panel.webview.html = page({ title: `Summary: ${path.basename(dataset)}`, body, cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('base64') });
  }

  // ───────────── Run Ablation Check ─────────────

  /** Checks a condition file (no model needed) and shows its problems as diagnostics; returns them. */
  async checkConditions(uri: vscode.Uri): Promise<ConditionIssue[]> {
    return (await this.checkConditionFile(uri)).issues;
  }

  private async checkConditionFile(uri: vscode.Uri): Promise<CheckConditionsResult> {
    const res = await this.controller.client.request(CheckConditions, { file: uri.fsPath });
    await this.showIssues(uri, res.issues);
    return res;
  }

  private async showIssues(uri: vscode.Uri, issues: ConditionIssue[]): Promise<void> {
    this.conditionDiagnostics.delete(uri);
    const byFile = new Map<string, ConditionIssue[]>();
    for (const i of issues) byFile.set(i.file || uri.fsPath, [...(byFile.get(i.file || uri.fsPath) ?? []), i]);
    for (const [file, list] of byFile) {
      const fileUri = vscode.Uri.file(path.resolve(path.dirname(uri.fsPath), file));
      let lines: string[] = [];
      try {
        lines = (await vscode.workspace.openTextDocument(fileUri)).getText().split(/\r?\n/);
      } catch {
        // unreadable: underline the first character of the line given
      }
      this.conditionDiagnostics.set(
        fileUri,
        list.map((i) => {
          const s = issueSpan(i, lines);
          const d = new vscode.Diagnostic(new vscode.Range(s.line, s.start, s.line, s.end), s.message, vscode.DiagnosticSeverity.Error);
          d.source = 'Refusal Lens';
          return d;
        }),
      );
    }
  }

  async ablate(arg?: unknown): Promise<AblateResult | undefined> {
    const uri = await this.pickFile(arg, isConditionPath, 'Run Ablation Check: a condition file', { 'Condition files': ['yaml', 'yml', 'json'] });
    if (!uri) return undefined;
    const file = uri.fsPath;
    const name = path.basename(file);
    if (!isConditionPath(file)) {
      void vscode.window.showErrorMessage(`Refusal Lens: ${name} is not a condition file (.yaml, .yml or .json).`);
      return undefined;
    }
    if (this.running.has(file)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${name} is running already.`);
      return undefined;
    }
    if (!(await this.savedOrAsk(uri))) return undefined;
    const outDir = path.join(path.dirname(file), `receipt-${name.replace(/\.(ya?ml|json)$/i, '').replace(/\.conditions$/i, '')}`);
    const runId = `ablate-${process.pid}-${++this.runs}`;
    this.running.add(file);
    try {
      // Schema and reference errors first: seconds, before any model loads.
      const checked = await this.checkConditionFile(uri);
      const issues = checked.issues;
      if (issues.length) {
        void vscode.window.showErrorMessage(`Refusal Lens: ${issuesSummary(name, issues)}`);
        return undefined;
      }
      // The condition file's axis files and prompt sets load in the engine too: same trust check.
      await confirmLoads(checked.files ?? []);
      const settings: Settings = readSettings();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Refusal Lens: ablation check ${name}`, cancellable: true },
        async (progress, token) => {
          progress.report({ message: 'starting engine' });
          const target = await this.controller.target(settings, undefined);
          await this.controller.session.prepare(target, token, (message) => progress.report({ message }));
          let shown = 0;
          const off = this.controller.client.onNotification(ExperimentProgress, (p) => {
            if (p.runId !== runId) return;
            const pct = p.total ? (100 * p.done) / p.total : 0;
            progress.report({ message: progressMessage(p), increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          });
          try {
            return await this.controller.client.request(Ablate, { runId, file, outDir }, token);
          } finally {
            off();
          }
        },
      );
      this.conditionDiagnostics.delete(uri);
      this.showReceipt(vscode.Uri.file(path.join(result.outDir, 'receipt.json')));
      const md = result.files.find((f) => f.endsWith('receipt.md'));
      const tex = result.files.find((f) => f.endsWith('receipt.tex'));
      void vscode.window.showInformationMessage(`Refusal Lens: receipt written to ${vscode.workspace.asRelativePath(result.outDir, false)}.`, 'Open Markdown', 'Open LaTeX').then((a) => {
        const f = a === 'Open Markdown' ? md : a === 'Open LaTeX' ? tex : undefined;
        if (f) void vscode.window.showTextDocument(vscode.Uri.file(f), { preview: true });
      });
      return result;
    } catch (err) {
      if (err instanceof CancelledError) {
        void vscode.window.showInformationMessage(`Refusal Lens: ablation check ${name} cancelled; no receipt written. Finished prompts are kept in the receipt folder: run it again to resume.`);
        return undefined;
      }
      const data = (err as { data?: { issues?: ConditionIssue[] } }).data;
      if (codeOf(err) === ErrorCodes.ConditionFile && Array.isArray(data?.issues)) {
        await this.showIssues(uri, data.issues);
        void vscode.window.showErrorMessage(`Refusal Lens: ${issuesSummary(name, data.issues)}`);
        return undefined;
      }
      const message = errorText(err);
      this.log.error(`ablate ${file}: ${message}`);
      void vscode.window.showErrorMessage(`Refusal Lens: ablation check ${name} failed: ${message}`, 'Show Log').then((a) => a && this.log.show());
      return undefined;
    } finally {
      this.running.delete(file);
    }
  }

  // ───────────── receipt view ─────────────

  /** Shows a receipt (receipt.json or its folder) with its table and charts. */
  showReceipt(arg?: unknown): void {
    let uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : vscode.window.activeTextEditor?.document.uri;
    if (uri && uri.scheme === 'file' && existsSync(uri.fsPath) && statSync(uri.fsPath).isDirectory()) uri = vscode.Uri.file(path.join(uri.fsPath, 'receipt.json'));
    if (!uri || uri.scheme !== 'file' || path.basename(uri.fsPath) !== 'receipt.json') {
      void vscode.window.showInformationMessage('Refusal Lens: open a receipt.json (written by Run Ablation Check) to show it.');
      return;
    }
    const dir = path.dirname(uri.fsPath);
    let receipt: Receipt;
    try {
      // Bad JSON, another schema or a missing field: one message naming the file and the field.
      receipt = readReceiptFile(uri.fsPath);
    } catch (e) {
      void vscode.window.showErrorMessage(`Refusal Lens: cannot show the receipt: ${errorText(e)}`);
      return;
    }
    if (!this.receiptPanel) {
      this.receiptPanel = vscode.window.createWebviewPanel(RECEIPT_VIEW, 'Refusal Receipt', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
      this.receiptPanel.onDidDispose(() => (this.receiptPanel = undefined));
    }
    const panel = this.receiptPanel;
    panel.webview.options = { enableScripts: false, localResourceRoots: [vscode.Uri.file(dir)] };
    panel.title = `Receipt: ${receipt.title}`;
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((f) => f === 'rates.svg' || /^sweep-.*\.svg$/.test(f)).sort((a, b) => (a === 'rates.svg' ? -1 : b === 'rates.svg' ? 1 : a.localeCompare(b)));
    } catch {
      names = [];
    }
    const charts = names.map((f) => ({ name: f === 'rates.svg' ? 'Rates per condition' : f.replace(/^sweep-\d+-|\.svg$/g, '').replace(/-/g, ' '), src: panel.webview.asWebviewUri(vscode.Uri.file(path.join(dir, f))).toString() }));
    const files = ['receipt.json', 'receipt.md', 'receipt.tex', 'receipt.csv', 'responses.jsonl'].filter((f) => existsSync(path.join(dir, f))).map((f) => vscode.workspace.asRelativePath(path.join(dir, f), false));
    panel.webview.html = page({ title: receipt.title, body: receiptBody(receipt, charts, files), cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('base64') });
    panel.reveal(undefined, true);
  }
}

let current: ExperimentsUi | undefined;

/** Created at activation; the command table's experiment commands go through it. */
export function registerExperiments(controller: Controller, log: vscode.LogOutputChannel): vscode.Disposable {
  current = new ExperimentsUi(controller, log);
  const ui = current;
  return { dispose: () => (ui.dispose(), current === ui && (current = undefined)) };
}

export function experiments(): ExperimentsUi {
  if (!current) throw new Error('Refusal Lens: experiments are not set up (the extension is not active)');
  return current;
}
