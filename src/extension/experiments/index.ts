// Experiments in the editor (issue 4): Annotate Dataset, labels and projections inline on each
// dataset line, the annotation summary, Run Ablation Check with located condition-file
// diagnostics, and the receipt view. This file wires the parts together; each lives in its own
// file (annotateCommand, ablateCommand, store, summaryPanel, receiptPanel, datasetPanel; context:
// shared), and the dataset view (sort, filter, plot, compare results files).
import * as vscode from 'vscode';
import type { AblateResult, AnnotateResult, ConditionIssue } from '../../protocol/rpc';
import type { FieldMap } from '../../engine/prompts/index';
import type { Controller } from '../controller';
import { AblationChecks } from './ablateCommand';
import { annotateDataset, type AnnotateOptions } from './annotateCommand';
import type { ExperimentContext } from './context';
import { DatasetViews } from './datasetPanel';
import { ReceiptPanel } from './receiptPanel';
import { ResultsCodeLensProvider, ResultsStore } from './store';
import { SummaryPanels } from './summaryPanel';

export { DATASET_VIEW } from './datasetPanel';
export { RECEIPT_VIEW } from './receiptPanel';
export { SUMMARY_VIEW } from './summaryPanel';
export { ResultsCodeLensProvider, ResultsStore } from './store';

export class ExperimentsUi implements vscode.Disposable {
  readonly store = new ResultsStore();
  private readonly ctx: ExperimentContext;
  private readonly summaries: SummaryPanels;
  private readonly receipt = new ReceiptPanel();
  private readonly ablation: AblationChecks;
  private readonly datasets: DatasetViews;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(controller: Controller, log: vscode.LogOutputChannel, ext: { extensionUri: vscode.Uri; workspaceState: vscode.Memento }) {
    let runs = 0;
    const fieldsKey = (dataset: string) => `refusalLens.datasetFields:${dataset}`;
    this.ctx = {
      controller, log, store: this.store, running: new Set(),
      nextRunId: (kind) => `${kind}-${process.pid}-${++runs}`,
      fieldsFor: (dataset) => ext.workspaceState.get<FieldMap>(fieldsKey(dataset)) ?? {},
      rememberFields: (dataset, fields) => ext.workspaceState.update(fieldsKey(dataset), fields),
    };
    this.datasets = new DatasetViews(this.ctx, ext.extensionUri);
    this.summaries = new SummaryPanels(this.ctx);
    this.ablation = new AblationChecks(this.ctx, (u) => this.showReceipt(u));
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.jsonl');
    const touch = (u: vscode.Uri) => this.store.invalidate(u.fsPath);
    this.disposables.push(
      this.datasets,
      this.store,
      this.ablation,
      watcher,
      watcher.onDidChange(touch),
      watcher.onDidCreate(touch),
      watcher.onDidDelete(touch),
      vscode.languages.registerCodeLensProvider([{ scheme: 'file', pattern: '**/*.jsonl' }], new ResultsCodeLensProvider(this.store)),
    );
  }

  dispose(): void {
    this.summaries.dispose();
    this.receipt.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  annotate(arg?: unknown, opts: AnnotateOptions = {}): Promise<AnnotateResult | undefined> {
    return annotateDataset(this.ctx, (u) => this.showSummary(u), arg, opts);
  }
  showSummary(arg?: unknown): void {
    this.summaries.show(arg);
  }
  checkConditions(uri: vscode.Uri): Promise<ConditionIssue[]> {
    return this.ablation.checkConditions(uri);
  }
  ablate(arg?: unknown): Promise<AblateResult | undefined> {
    return this.ablation.ablate(arg);
  }
  showReceipt(arg?: unknown): void {
    this.receipt.show(arg);
  }
  openDatasetView(arg?: unknown): Promise<void> {
    return this.datasets.show(arg);
  }
  compareResults(a?: unknown, b?: unknown): Promise<void> {
    return this.datasets.compare(a, b);
  }
}

let current: ExperimentsUi | undefined;

/** Created at activation; the command table's experiment commands go through it. */
export function registerExperiments(controller: Controller, log: vscode.LogOutputChannel, ext: { extensionUri: vscode.Uri; workspaceState: vscode.Memento }): vscode.Disposable {
  current = new ExperimentsUi(controller, log, ext);
  const ui = current;
  return { dispose: () => (ui.dispose(), current === ui && (current = undefined)) };
}

export function experiments(): ExperimentsUi {
  if (!current) throw new Error('Refusal Lens: experiments are not set up (the extension is not active)');
  return current;
}
