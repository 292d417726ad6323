// Run Ablation Check: the condition file is checked first (seconds, no model) and its problems
// become located diagnostics, re-checked on save; then the run, with progress, cancel and
// resume from the receipt folder's progress.jsonl. The worker runs the engine.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Ablate, CheckConditions, ErrorCodes, ExperimentProgress, type AblateResult, type CheckConditionsResult, type ConditionIssue } from '../../protocol/rpc';
import { readSettings, type Settings } from '../config';
import { confirmLoads } from '../trust';
import { CancelledError, WorkerDiedError } from '../workerClient';
import { showError } from '../errors';
import { issueSpan, issuesSummary } from './conditionIssues';
import { codeOf, errorText, isConditionPath, pickFile, savedOrAsk, type ExperimentContext } from './context';
import { progressMessage } from './results';

export class AblationChecks implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('refusalLens.conditions');
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly ctx: ExperimentContext,
    private readonly showReceipt: (receiptJson: vscode.Uri) => void,
  ) {
    this.subs = [
      vscode.workspace.onDidSaveTextDocument((doc) => {
        // A condition file we flagged: check it again so fixed problems go away.
        if (this.diagnostics.has(doc.uri)) void this.checkConditions(doc.uri).catch((e) => ctx.log.warn(`checking ${doc.uri.fsPath}: ${errorText(e)}`));
      }),
    ];
  }

  dispose(): void {
    for (const d of this.subs.splice(0)) d.dispose();
    this.diagnostics.dispose();
  }

  /** Checks a condition file (no model needed) and shows its problems as diagnostics; returns them. */
  async checkConditions(uri: vscode.Uri): Promise<ConditionIssue[]> {
    return (await this.checkConditionFile(uri)).issues;
  }

  private async checkConditionFile(uri: vscode.Uri): Promise<CheckConditionsResult> {
    const res = await this.ctx.controller.client.request(CheckConditions, { file: uri.fsPath });
    await this.showIssues(uri, res.issues);
    return res;
  }

  private async showIssues(uri: vscode.Uri, issues: ConditionIssue[]): Promise<void> {
    this.diagnostics.delete(uri);
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
      this.diagnostics.set(
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
    const { controller, log, running } = this.ctx;
    const uri = await pickFile(arg, isConditionPath, 'Run Ablation Check: a condition file', { 'Condition files': ['yaml', 'yml', 'json'] });
    if (!uri) return undefined;
    const file = uri.fsPath;
    const name = path.basename(file);
    if (!isConditionPath(file)) {
      void vscode.window.showErrorMessage(`Refusal Lens: ${name} is not a condition file (.yaml, .yml or .json).`);
      return undefined;
    }
    if (running.has(file)) {
      void vscode.window.showInformationMessage(`Refusal Lens: ${name} is running already.`);
      return undefined;
    }
    if (!(await savedOrAsk(uri))) return undefined;
    const outDir = path.join(path.dirname(file), `receipt-${name.replace(/\.(ya?ml|json)$/i, '').replace(/\.conditions$/i, '')}`);
    const runId = this.ctx.nextRunId('ablate');
    running.add(file);
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
          const target = await controller.target(settings, undefined);
          await controller.session.prepare(target, token, (message) => progress.report({ message }));
          let shown = 0;
          const off = controller.client.onNotification(ExperimentProgress, (p) => {
            if (p.runId !== runId) return;
            const pct = p.total ? (100 * p.done) / p.total : 0;
            progress.report({ message: progressMessage(p), increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          });
          try {
            return await controller.client.request(Ablate, { runId, file, outDir }, token);
          } finally {
            off();
          }
        },
      );
      this.diagnostics.delete(uri);
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
      if (err instanceof WorkerDiedError) return undefined; // its own notification says so (extension.ts)
      showError(err, `ablation check ${name}`, log);
      return undefined;
    } finally {
      running.delete(file);
    }
  }
}
