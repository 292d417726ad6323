// The receipt view: one panel showing a receipt.json's table and the SVG charts beside it.
// HTML comes from render.ts; the page runs no script.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Receipt } from '../../engine/experiments/receipt';
import { readReceiptFile } from '../../engine/experiments/receipt-check';
import { errorText } from './context';
import { page, receiptBody } from './render';

export const RECEIPT_VIEW = 'refusalLens.receipt';

export class ReceiptPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  dispose(): void {
    this.panel?.dispose();
  }

  /** Shows a receipt (receipt.json or its folder) with its table and charts. */
  show(arg?: unknown): void {
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
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(RECEIPT_VIEW, 'Refusal Receipt', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
      this.panel.onDidDispose(() => (this.panel = undefined));
    }
    const panel = this.panel;
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
