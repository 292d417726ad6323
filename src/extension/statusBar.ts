// The status bar item: which model is loaded and which interventions are active; a click
// opens Select Model. Text only from the controller's state, refreshed on every change.
import * as vscode from 'vscode';
import { describeIntervention, type Intervention } from '../protocol/interventions';
import { describeDevice } from '../protocol/device';
import type { Controller } from './controller';

/** The registry's one description, in its on-screen form (as the inspector's chips). */
export function interventionSummary(iv: Intervention): string {
  return describeIntervention(iv, 'display');
}

export function createStatusBar(controller: Controller): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('refusalLens.status', vscode.StatusBarAlignment.Left, 20);
  item.name = 'Refusal Lens';
  item.command = 'refusalLens.selectModel';
  const update = () => {
    const model = controller.model;
    const ivs = controller.interventions;
    item.text = `$(telescope) ${model ? model.name : 'Refusal Lens'}${model?.device ? ` · ${model.device.device}` : ''}${ivs.length ? ` · ${ivs.length} intervention${ivs.length > 1 ? 's' : ''}` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Refusal Lens**\n\n`);
    md.appendMarkdown(model ? `Model: ${model.name} (${model.layers} layers, ${model.dtype})\n\n` : 'No model loaded yet\n\n');
    if (model?.device) md.appendMarkdown(`Device: ${describeDevice(model.device)}\n\n`);
    if (ivs.length) for (const iv of ivs) md.appendMarkdown(`- ${interventionSummary(iv)}\n`);
    else md.appendMarkdown('No interventions\n');
    md.appendMarkdown('\n\nClick to select a model');
    item.tooltip = md;
    item.show();
  };
  update();
  const sub = controller.onDidChange(update);
  return vscode.Disposable.from(item, sub);
}
