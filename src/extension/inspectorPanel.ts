// The inspector webview panel: one instance at a time, owned by this class. The page is the
// webview bundle (dist/webview.js) under a strict CSP with a per-load nonce; it may read only
// the extension's own dist/ and media/. Every message from the page is checked with the shared
// validator before anything acts on it: the page is untrusted input.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AxisSummary, Intervention, ModelSummary, TokenEvent, TraceResult } from '../protocol/types';
import {
  AddCap,
  AddProjectOut,
  AddSteer,
  RunControl,
  Busy,
  RunStopped,
  ClearInterventions,
  ErrorActionPicked,
  ErrorShown,
  Export,
  Ready,
  RemoveIntervention,
  Rerun,
  RunStarted,
  SetInterventions,
  ShowRun,
  Tokens,
  isWebviewToHostMessage,
  type ExportMessage,
  type HostToWebviewMessage,
  type RunStopReason,
  type RunSubject,
} from '../protocol/webview';
import type { Controller, RunView } from './controller';
import { fieldOf, fieldProblems, interventionProblems } from '../protocol/interventions';
import type { UserError } from '../protocol/errors';
import { runErrorAction } from './errors';

const AXES_FIELD = fieldOf('project_out', 'axes')!;
const LAYERS_FIELD = fieldOf('project_out', 'layers')!;

export const VIEW_TYPE = 'refusalLens.inspector';

export class InspectorPanel implements RunView {
  static current: InspectorPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The setting the banner's Open Settings shows (from the last error shown). */
  private errorSetting: string | undefined;

  /** Shows the panel (creating it if needed) beside the editor. */
  static show(ctx: vscode.ExtensionContext, controller: Controller): InspectorPanel {
    if (InspectorPanel.current) {
      InspectorPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
      return InspectorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Refusal Lens', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      ...webviewOptions(ctx),
      retainContextWhenHidden: true,
    });
    return new InspectorPanel(panel, ctx, controller);
  }

  /** Re-attaches a panel VS Code restored after a reload; the page restores its own view from getState. */
  static revive(panel: vscode.WebviewPanel, ctx: vscode.ExtensionContext, controller: Controller): InspectorPanel {
    InspectorPanel.current?.dispose();
    return new InspectorPanel(panel, ctx, controller);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly ctx: vscode.ExtensionContext,
    private readonly controller: Controller,
  ) {
    InspectorPanel.current = this;
    controller.view = this;
    panel.webview.options = webviewOptions(ctx);
    if (existsSync(path.join(ctx.extensionPath, 'media', 'icon.png'))) panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html();
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m), null, this.disposables);
  }

  dispose(): void {
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    if (this.controller.view === this) this.controller.view = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  // ───────────── RunView: host → page ─────────────
  runStarted(axes: AxisSummary[], layers: number[], interventions: Intervention[]): void {
    this.post({ type: RunStarted, axes, layers, interventions });
  }
  tokens(event: TokenEvent): void {
    this.post({ type: Tokens, event });
  }
  showRun(run: TraceResult, baseline: TraceResult | undefined, axes: AxisSummary[], model: ModelSummary, interventions: Intervention[], subject: RunSubject | undefined): void {
    this.post({ type: ShowRun, run, ...(baseline ? { baseline } : {}), axes, model, interventions, ...(subject ? { subject } : {}) });
  }
  setInterventions(interventions: Intervention[]): void {
    this.post({ type: SetInterventions, interventions });
  }
  busy(busy: boolean, message?: string): void {
    this.post({ type: Busy, busy, ...(message ? { message } : {}) });
  }
  runStopped(reason: RunStopReason): void {
    this.post({ type: RunStopped, reason });
  }
  error(e: UserError): void {
    this.errorSetting = e.setting;
    this.post({ type: ErrorShown, message: e.message, ...(e.detail ? { detail: e.detail } : {}), ...(e.actions.length ? { actions: e.actions } : {}) });
  }
  get visible(): boolean {
    return this.panel.visible;
  }

  private post(m: HostToWebviewMessage): void {
    void this.panel.webview.postMessage(m);
  }

  // ───────────── page → host ─────────────
  private async receive(m: unknown): Promise<void> {
    if (!isWebviewToHostMessage(m)) {
      const type = typeof m === 'object' && m !== null && 'type' in m ? String((m as { type: unknown }).type).slice(0, 40) : typeof m;
      this.controller.log.warn(`inspector: dropped a malformed message (type ${type})`);
      return;
    }
    const c = this.controller;
    switch (m.type) {
      case Ready:
        if (c.run && c.model) this.showRun(c.run, c.run !== c.baseline ? c.baseline : undefined, c.axes, c.model, c.interventions, c.subject);
        return;
      case Rerun:
        await c.rerun();
        return;
      case AddSteer:
        return this.add({ kind: 'steer', axis: m.axis, coefficient: m.coefficient, ...(m.unit === 'norm' ? { unit: 'norm' as const } : {}), layers: m.layers, ...(m.positions ? { positions: m.positions } : {}) });
      case AddProjectOut:
        return this.add({ kind: 'project_out', axes: m.axes, layers: m.layers, ...(m.positions ? { positions: m.positions } : {}) });
      case AddCap:
        return this.add({
          kind: 'cap',
          axis: m.axis,
          ...(m.lo !== undefined ? { lo: m.lo } : {}),
          ...(m.hi !== undefined ? { hi: m.hi } : {}),
          layers: m.layers,
          ...(m.positions ? { positions: m.positions } : {}),
        });
      case RunControl: {
        const problem = this.checkIntervention([m.axis], [0]);
        if (problem) return this.error({ message: problem, actions: [] });
        await c.rerun({ axis: m.axis, seed: m.seed });
        return;
      }
      case RemoveIntervention:
        if (m.index < c.interventions.length) c.setInterventions(c.interventions.filter((_, i) => i !== m.index));
        return;
      case ClearInterventions:
        c.setInterventions([]);
        return;
      case Export:
        await this.export(m);
        return;
      case ErrorActionPicked:
        await runErrorAction(m.action, this.errorSetting);
        return;
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  /** The validator checks shapes; the registry checks the whole intervention against the model and the loaded axes. */
  private add(iv: Intervention): void {
    const problem = interventionProblems(iv, { nLayers: this.controller.model?.layers, axes: this.controller.axes.map((a) => a.name) })[0];
    if (problem) return this.error({ message: problem.message, actions: [] });
    this.controller.addIntervention(iv);
  }

  /** The validator checks shapes; the registry's field checks against the model and the loaded axes decide what is in range. */
  private checkIntervention(axes: string[], layers: number[]): string | undefined {
    const ctx = { nLayers: this.controller.model?.layers, axes: this.controller.axes.map((a) => a.name) };
    return [...fieldProblems(AXES_FIELD, axes, ctx), ...fieldProblems(LAYERS_FIELD, layers, ctx)][0]?.message;
  }

  private async export(m: ExportMessage): Promise<void> {
    // Always asked (never written without a dialog): proposed next to the inspected file, named after it.
    const source = this.controller.source?.uri;
    const folder = source ? vscode.Uri.joinPath(source, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
    const stem = source ? path.basename(source.fsPath).replace(/\.(rlprompt|jsonl)$/i, '') : undefined;
    const name = stem ? `${stem}.${m.suggestedName ?? `trace.${m.format}`}` : (m.suggestedName ?? `refusal-lens.${m.format}`);
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
      filters: { [m.format.toUpperCase()]: [m.format] },
      title: `Export the inspector's ${m.format.toUpperCase()} to`,
    });
    if (!target) return;
    const bytes = m.format === 'png' ? Buffer.from(m.data.slice(m.data.indexOf(',') + 1), 'base64') : Buffer.from(m.data, 'utf8');
    try {
      if (target.scheme === 'file') await writeFile(target.fsPath, bytes);
      else await vscode.workspace.fs.writeFile(target, bytes);
      this.controller.log.info(`exported ${m.format} to ${target.toString()}`);
    } catch (err) {
      void vscode.window.showErrorMessage(`Refusal Lens: could not write ${target.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The page template is the webview helper's media/webview/inspector.html, filled here. */
  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, ...p)).toString();
    const fill: Record<string, string> = {
      cspSource: webview.cspSource,
      nonce,
      styleUri: uri('media', 'webview', 'inspector.css'),
      scriptUri: uri('dist', 'webview.js'),
    };
    let template: string;
    try {
      template = readFileSync(path.join(this.ctx.extensionPath, 'media', 'webview', 'inspector.html'), 'utf8');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.controller.log.error(`inspector page template missing: ${message}`);
      return `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body>Refusal Lens: the inspector page is missing from this installation (${escapeHtml(message)}). Reinstall the extension.</body></html>`;
    }
    return template.replace(/\{\{(\w+)\}\}/g, (all, key: string) => (key in fill ? escapeHtml(fill[key]!) : all));
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function webviewOptions(ctx: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(ctx.extensionUri, 'dist'), vscode.Uri.joinPath(ctx.extensionUri, 'media')],
  };
}

export class InspectorSerializer implements vscode.WebviewPanelSerializer {
  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly controller: Controller,
  ) {}
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    InspectorPanel.revive(panel, this.ctx, this.controller);
  }
}
