// The status bar item: which model is loaded and which interventions are active; a click
// opens Select Model. Text only from the controller's state, refreshed on every change.
import * as vscode from 'vscode';
import { capText, type Intervention } from '../protocol/types';
import { describeDevice } from '../protocol/device';
import type { Controller } from './controller';

export function interventionSummary(iv: Intervention): string {
  // positions are part of what runs (the default steer touches the prompt only): say them when not all
  const layers = `${layerRange(iv.layers)}${iv.positions && iv.positions !== 'all' ? ` (${iv.positions})` : ''}`;
  if (iv.kind === 'steer') return `steer ${iv.axis} ${iv.coefficient >= 0 ? '+' : ''}${iv.coefficient} @ ${layers}`;
  if (iv.kind === 'cap') return `${capText(iv)} @ ${layers}`;
  return `project out ${iv.axes.join('+')} @ ${layers}`;
}

/** "3" / "2–5" / "1,4,7" */
export function layerRange(layers: number[]): string {
  if (layers.length === 0) return '-';
  const sorted = [...layers].sort((a, b) => a - b);
  const contiguous = sorted.every((l, i) => i === 0 || l === sorted[i - 1]! + 1);
  if (sorted.length === 1) return String(sorted[0]);
  return contiguous ? `${sorted[0]}–${sorted[sorted.length - 1]}` : sorted.join(',');
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
