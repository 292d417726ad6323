// How the host shows a failure: once, with the actions that fix its cause. The text and the
// actions come from src/protocol/errors.ts (`describeError`); this file only puts them on screen
// (a notification, or the inspector's banner when the failure belongs to the run shown there)
// and carries out the action the user picks.
import * as vscode from 'vscode';
import { describeError, ERROR_ACTION_LABELS, ERROR_ACTIONS, type ErrorAction, type UserError } from '../protocol/errors';

/** Carries out an error action; resolves when its command returned. */
export async function runErrorAction(action: ErrorAction, setting?: string): Promise<void> {
  switch (action) {
    case 'openSettings':
      await vscode.commands.executeCommand('workbench.action.openSettings', setting ?? 'refusalLens');
      return;
    case 'selectModel':
      await vscode.commands.executeCommand('refusalLens.selectModel');
      return;
    case 'useBuiltinModel':
      await vscode.commands.executeCommand('refusalLens.selectModel', 'builtin');
      return;
    case 'selectAxes':
      await vscode.commands.executeCommand('refusalLens.selectAxes');
      return;
    case 'restartEngine':
      await vscode.commands.executeCommand('refusalLens.restartEngine');
      return;
    case 'showLog':
      await vscode.commands.executeCommand('refusalLens.showLog');
      return;
    default: {
      const never: never = action;
      throw new Error(`unknown error action ${String(never)}`);
    }
  }
}

/** The action a label names (for a notification's answer, or a banner button's message). */
export function actionOf(label: string | undefined): ErrorAction | undefined {
  return ERROR_ACTIONS.find((a) => ERROR_ACTION_LABELS[a] === label);
}

/** Shows `e` as an error notification with its actions; runs the one picked. */
export function notifyError(e: UserError, log?: vscode.LogOutputChannel): void {
  log?.error(e.message);
  const labels = e.actions.map((a) => ERROR_ACTION_LABELS[a]);
  void vscode.window.showErrorMessage(`Refusal Lens: ${e.message}`, ...labels).then((label) => {
    const a = actionOf(label);
    if (a) void runErrorAction(a, e.setting);
  });
}

/** describeError + notifyError: for a failure not tied to the inspector's run. */
export function showError(err: unknown, context?: string, log?: vscode.LogOutputChannel): UserError {
  const e = describeError(err, context);
  notifyError(e, log);
  return e;
}
