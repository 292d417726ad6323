// What the experiment commands and views share: the engine (controller), the log, the results
// store, which files are being run, and the small file-choosing helpers every command uses.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Controller } from '../controller';
import type { FieldMap } from '../../engine/prompts/index';
import { isDatasetFile } from './datasetData';
import type { ResultsStore } from './store';

export interface ExperimentContext {
  readonly controller: Controller;
  readonly log: vscode.LogOutputChannel;
  readonly store: ResultsStore;
  /** Datasets and condition files with a run in this window (one run per file). */
  readonly running: Set<string>;
  /** A run id unique in this host process (`annotate-PID-N`): progress notifications carry it. */
  nextRunId(kind: string): string;
  /** The columns picked for a dataset (its prompt column when it could not be guessed); {} when none. */
  fieldsFor(dataset: string): FieldMap;
  rememberFields(dataset: string, fields: FieldMap): Thenable<void>;
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
export const codeOf = (e: unknown) => (e as { code?: unknown } | null)?.code;

/** A dataset Annotate Dataset takes: JSONL, CSV or Parquet (not a results file). */
export function isDatasetPath(p: string): boolean {
  return isDatasetFile(p);
}
export function isConditionPath(p: string): boolean {
  return /\.(ya?ml|json)$/i.test(p);
}

/** The file a command acts on: its argument, else the active editor's when it fits, else one the user picks. */
export async function pickFile(arg: unknown, fits: (p: string) => boolean, title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && fits(active.fsPath)) return active;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters, title });
  return picked?.[0];
}

/** The engine reads files from disk: unsaved edits would be ignored, so ask first. */
export async function savedOrAsk(uri: vscode.Uri): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc?.isDirty) return true;
  const a = await vscode.window.showWarningMessage(`${path.basename(uri.fsPath)} has unsaved changes; the run reads the file on disk.`, { modal: true }, 'Save and Run');
  return a === 'Save and Run' && (await doc.save());
}
