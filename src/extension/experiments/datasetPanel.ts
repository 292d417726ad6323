// The dataset view: a webview panel on an annotate results file (dist/dataset.js under a strict
// CSP with a nonce), or on two of them compared by row id. The host reads the files, joins the
// rows with their dataset, sends them, and acts on the page's (validated) requests: inspect a
// row, save the filtered rows or the charts where the user chooses.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readDataset } from '../../engine/experiments/datasets/index';
import { readResultsText } from '../../engine/experiments/results-file';
import type { DatasetRow } from '../../protocol/prompts';
import { DatasetExportChart, DatasetExportRows, DatasetInspect, DatasetReady, isDatasetViewMessage, type DatasetDataMessage, type DatasetViewMessage, type DatasetViewRow } from '../../protocol/dataset';
import { errorText, type ExperimentContext } from './context';
import { dataMessage, datasetForResults, isDatasetFile, joinRows, rowsToCsv, rowsToJsonl } from './datasetData';
import { isResultsFile, parseResults } from './results';

export const DATASET_VIEW = 'refusalLens.datasetView';

interface Side {
  results: string;
  dataset?: string;
}

interface Open {
  panel: vscode.WebviewPanel;
  a: Side;
  b?: Side;
  ready: boolean;
  /** Size and mtime of the files last sent: the store fires for any .jsonl change, a resend only follows these. */
  stamp?: string;
  /** What the page was last sent, for inspect and export. */
  rows?: { a: DatasetViewRow[]; b?: DatasetViewRow[]; datasetRows?: DatasetRow[] };
}

export class DatasetViews implements vscode.Disposable {
  private readonly open = new Map<string, Open>();
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly ctx: ExperimentContext,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.sub = ctx.store.onDidChange(() => {
      for (const o of this.open.values()) if (o.ready && o.stamp !== stampOf(o)) void this.send(o);
    });
  }

  dispose(): void {
    this.sub.dispose();
    for (const o of [...this.open.values()]) o.panel.dispose();
  }

  /** The results file and dataset for a command argument: a dataset (its results) or a results file. */
  sideFor(file: string): Side {
    if (isResultsFile(file)) {
      const dataset = datasetForResults(file);
      return { results: file, ...(dataset ? { dataset } : {}) };
    }
    return { results: this.ctx.store.resultsPath(file), dataset: file };
  }

  /** Open Dataset View on a dataset or results file (argument, active editor, or a picked file). */
  async show(arg?: unknown): Promise<void> {
    let uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' && arg ? vscode.Uri.file(arg) : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file' || !(isResultsFile(uri.fsPath) || isDatasetFile(uri.fsPath))) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Results or datasets': ['jsonl', 'csv', 'parquet', 'pq'] }, title: 'Open Dataset View: an annotated dataset or its .results.jsonl' });
      uri = picked?.[0];
      if (!uri) return;
    }
    const side = this.sideFor(uri.fsPath);
    if (!exists(side.results)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${path.basename(side.dataset ?? side.results)} has no results yet: run Annotate Dataset first.`);
      return;
    }
    this.reveal(side);
  }

  /** Compare Results Files…: two results files (arguments, or picked), joined by row id. */
  async compare(argA?: unknown, argB?: unknown): Promise<void> {
    const asPath = (x: unknown) => (x instanceof vscode.Uri ? x.fsPath : typeof x === 'string' && x ? x : undefined);
    let a = asPath(argA);
    let b = asPath(argB);
    const filters = { 'Results files': ['jsonl'] };
    if (!a) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: true, filters, title: 'Compare Results Files: the first ("before") results file, or both' });
      if (!picked?.length) return;
      a = picked[0]!.fsPath;
      if (picked[1]) b = picked[1].fsPath;
    }
    if (!b) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters, title: `Compare with ${path.basename(a)}: the second ("after") results file` });
      if (!picked?.[0]) return;
      b = picked[0].fsPath;
    }
    const sa = this.sideFor(a);
    const sb = this.sideFor(b);
    for (const s of [sa, sb]) {
      if (!exists(s.results)) {
        void vscode.window.showErrorMessage(`Refusal Lens: ${path.basename(s.results)} does not exist.`);
        return;
      }
    }
    if (path.resolve(sa.results) === path.resolve(sb.results)) {
      void vscode.window.showErrorMessage('Refusal Lens: pick two different results files to compare.');
      return;
    }
    this.reveal(sa, sb);
  }

  private reveal(a: Side, b?: Side): void {
    const key = `${a.results}\u0000${b?.results ?? ''}`;
    const had = this.open.get(key);
    if (had) {
      had.panel.reveal(undefined, false);
      void this.send(had);
      return;
    }
    const title = b ? `Compare: ${path.basename(a.results)} → ${path.basename(b.results)}` : `Dataset: ${path.basename(a.dataset ?? a.results)}`;
    const panel = vscode.window.createWebviewPanel(DATASET_VIEW, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    });
    const o: Open = { panel, a, ...(b ? { b } : {}), ready: false };
    this.open.set(key, o);
    panel.onDidDispose(() => this.open.delete(key));
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(o, m).catch((e) => this.ctx.log.error(`dataset view: ${errorText(e)}`)));
    panel.webview.html = this.html(panel.webview);
  }

  private async receive(o: Open, m: unknown): Promise<void> {
    if (!isDatasetViewMessage(m)) {
      this.ctx.log.warn('dataset view: dropped a malformed message');
      return;
    }
    const msg: DatasetViewMessage = m;
    switch (msg.type) {
      case DatasetReady:
        o.ready = true;
        await this.send(o);
        return;
      case DatasetInspect:
        await this.inspect(o, msg.id);
        return;
      case DatasetExportRows:
        await this.exportRows(o, msg.format, msg.ids);
        return;
      case DatasetExportChart:
        await this.save(msg.suggestedName, msg.format, msg.format === 'png' ? Buffer.from(msg.data.slice(msg.data.indexOf(',') + 1), 'base64') : Buffer.from(msg.data, 'utf8'));
        return;
    }
  }

  private async load(side: Side, notes: string[], withDataset = true): Promise<{ rows: DatasetViewRow[]; datasetRows?: DatasetRow[] }> {
    const rel = (p: string) => vscode.workspace.asRelativePath(p, false);
    let results: ReturnType<typeof parseResults>;
    try {
      results = parseResults(readResultsText(side.results));
    } catch (e) {
      notes.push(`cannot read ${rel(side.results)}: ${errorText(e)}`);
      return { rows: [] };
    }
    // Rows streamed by a running annotation are on disk already (rows are sent once written).
    if (results.bad) notes.push(`${results.bad} unreadable line${results.bad === 1 ? '' : 's'} in ${rel(side.results)} skipped`);
    let datasetRows: DatasetRow[] | undefined;
    if (side.dataset) {
      try {
        datasetRows = (await readDataset(side.dataset, rel(side.dataset), this.ctx.fieldsFor(side.dataset))).rows;
      } catch (e) {
        notes.push(`dataset ${rel(side.dataset)} unreadable (${errorText(e)}): prompts and fields not shown`);
      }
    } else if (withDataset) notes.push(`no dataset found beside ${rel(side.results)}: prompts and fields not shown`);
    return { rows: joinRows(results.rows, datasetRows), ...(datasetRows ? { datasetRows } : {}) };
  }

  private async send(o: Open): Promise<void> {
    o.stamp = stampOf(o);
    const notes: string[] = [];
    const a = await this.load(o.a, notes);
    // The second file's rows join the first's by id: its prompts and fields would add nothing.
    const b = o.b ? await this.load({ results: o.b.results }, notes, false) : undefined;
    o.rows = { a: a.rows, ...(b ? { b: b.rows } : {}), ...(a.datasetRows ? { datasetRows: a.datasetRows } : {}) };
    const rel = (p: string) => vscode.workspace.asRelativePath(p, false);
    const msg: DatasetDataMessage = dataMessage({
      a: { results: rel(o.a.results), rows: a.rows },
      ...(b && o.b ? { b: { results: rel(o.b.results), rows: b.rows } } : {}),
      ...(o.a.dataset ? { dataset: rel(o.a.dataset) } : {}),
      inspectable: !!o.a.dataset && o.a.dataset.endsWith('.jsonl') && !!a.datasetRows,
      notes,
    });
    await o.panel.webview.postMessage(msg);
  }

  /** The inspector runs the row from its dataset file, at the line where the row is now. */
  private async inspect(o: Open, id: string): Promise<void> {
    const dataset = o.a.dataset;
    const row = o.rows?.datasetRows?.find((r) => r.id === id);
    if (!dataset || !row) {
      void vscode.window.showInformationMessage(`Refusal Lens: row ${id} is not in the dataset file any more, so it cannot be inspected.`);
      return;
    }
    await vscode.commands.executeCommand('refusalLens.inspectPrompt', vscode.Uri.file(dataset), row.line - 1);
  }

  private async exportRows(o: Open, format: 'jsonl' | 'csv', ids: string[]): Promise<void> {
    const byId = new Map((o.rows?.a ?? []).map((r) => [r.id, r]));
    const rows = ids.map((id) => byId.get(id)).filter((r): r is DatasetViewRow => r !== undefined);
    const after = o.rows?.b ? new Map(o.rows.b.map((r) => [r.id, r])) : undefined;
    const text = format === 'csv' ? rowsToCsv(rows, after) : rowsToJsonl(rows, after);
    const stem = path.basename(o.a.results).replace(/\.results\.jsonl$/, '');
    await this.save(`${stem}.${o.b ? 'compared' : 'filtered'}.${format}`, format, Buffer.from(text, 'utf8'), rows.length);
  }

  /** Asks where to save (never writes without asking), then writes. */
  private async save(suggestedName: string, format: string, bytes: Buffer, rows?: number): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, suggestedName) } : {}),
      filters: { [format.toUpperCase()]: [format] },
      title: rows !== undefined ? `Save ${rows} row${rows === 1 ? '' : 's'} as ${format.toUpperCase()}` : `Save the charts as ${format.toUpperCase()}`,
    });
    if (!target) return;
    try {
      if (target.scheme === 'file') await writeFile(target.fsPath, bytes);
      else await vscode.workspace.fs.writeFile(target, bytes);
      this.ctx.log.info(`dataset view: wrote ${target.toString()}`);
      void vscode.window.showInformationMessage(`Refusal Lens: saved ${rows !== undefined ? `${rows} row${rows === 1 ? '' : 's'}` : 'the charts'} to ${vscode.workspace.asRelativePath(target, false)}.`);
    } catch (err) {
      void vscode.window.showErrorMessage(`Refusal Lens: could not write ${target.fsPath}: ${errorText(err)}`);
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    const fill: Record<string, string> = { cspSource: webview.cspSource, nonce, styleUri: uri('media', 'webview', 'dataset.css'), scriptUri: uri('dist', 'dataset.js') };
    let template: string;
    try {
      template = readFileSync(vscode.Uri.joinPath(this.extensionUri, 'media', 'webview', 'dataset.html').fsPath, 'utf8');
    } catch (err) {
      this.ctx.log.error(`dataset view page template missing: ${errorText(err)}`);
      return `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body>Refusal Lens: the dataset view is missing from this installation. Reinstall the extension.</body></html>`;
    }
    return template.replace(/\{\{(\w+)\}\}/g, (all, key: string) => (key in fill ? fill[key]!.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`) : all));
  }
}

function stampOf(o: Open): string {
  return [o.a.results, o.a.dataset, o.b?.results]
    .map((f) => {
      if (!f) return '';
      try {
        const st = statSync(f);
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return 'gone';
      }
    })
    .join('|');
}

function exists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
