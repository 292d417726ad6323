// The annotation summary view: one static page per dataset (label counts, box plots of the
// projections per label), redrawn when its results change. HTML comes from render.ts.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnnotationErrorRow, AnnotationRow } from '../../engine/experiments/annotate';
import { summariseAnnotations } from '../../engine/experiments/annotate-summary';
import { lockHolder } from '../../engine/io/lock';
import { readDatasetSync } from '../../engine/experiments/datasets/index';
import type { ExperimentContext } from './context';
import { datasetForResults, isDatasetFile } from './datasetData';
import { page, summaryBody } from './render';
import { isResultsFile } from './results';

export const SUMMARY_VIEW = 'refusalLens.annotationSummary';

export class SummaryPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly ctx: ExperimentContext) {
    this.sub = ctx.store.onDidChange(() => this.refresh());
  }

  dispose(): void {
    this.sub.dispose();
    for (const p of this.panels.values()) p.dispose();
  }

  /** The summary of a dataset's results (or of a results file opened by itself). */
  show(arg?: unknown): void {
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file' || !(isResultsFile(uri.fsPath) || isDatasetFile(uri.fsPath))) {
      void vscode.window.showInformationMessage('Refusal Lens: open an annotated dataset (.jsonl, .csv, .parquet) to see its summary.');
      return;
    }
    const dataset = isResultsFile(uri.fsPath) ? (datasetForResults(uri.fsPath) ?? uri.fsPath.slice(0, -'.results.jsonl'.length) + '.jsonl') : uri.fsPath;
    if (!this.ctx.store.rowsFor(dataset)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${path.basename(dataset)} has no results yet: run Annotate Dataset.`);
      return;
    }
    let panel = this.panels.get(dataset);
    if (panel) panel.reveal(undefined, true);
    else {
      panel = vscode.window.createWebviewPanel(SUMMARY_VIEW, `Summary: ${path.basename(dataset)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false, enableCommandUris: ['refusalLens.openDatasetView'], localResourceRoots: [] });
      this.panels.set(dataset, panel);
      panel.onDidDispose(() => this.panels.delete(dataset));
    }
    this.render(dataset, panel);
  }

  private refresh(): void {
    for (const [dataset, panel] of this.panels) this.render(dataset, panel);
  }

  private render(dataset: string, panel: vscode.WebviewPanel): void {
    const { store } = this.ctx;
    const res = store.rowsFor(dataset);
    let rows = [...(res?.rows.values() ?? [])];
    let pending: number | undefined;
    try {
      // JSONL and CSV; a Parquet dataset (read asynchronously) falls back to the whole results file.
      const ids = readDatasetSync(dataset, dataset, this.ctx.fieldsFor(dataset)).rows.map((r) => r.id);
      const inDataset = new Set(ids);
      rows = rows.filter((r) => inDataset.has(r.id));
      pending = ids.filter((id) => !res?.rows.has(id)).length;
    } catch {
      // the dataset is gone or unreadable: summarise the whole results file
    }
    const s = summariseAnnotations(rows as (AnnotationRow | AnnotationErrorRow)[]);
    const body = summaryBody({
      dataset: vscode.workspace.asRelativePath(dataset, false),
      results: vscode.workspace.asRelativePath(res?.file ?? store.resultsPath(dataset), false),
      counts: s.counts,
      errors: s.errors,
      projections: s.projections,
      ...(pending !== undefined ? { pending } : {}),
      bad: res?.bad ?? 0,
      viewLink: `command:refusalLens.openDatasetView?${encodeURIComponent(JSON.stringify([dataset]))}`,
      running: this.ctx.running.has(dataset) || (res?.file !== undefined && lockHolder(res.file) !== undefined),
    });
    panel.webview.html = page({ title: `Summary: ${path.basename(dataset)}`, body, cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('base64') });
  }
}
