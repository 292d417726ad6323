// Prompt files (*.rlprompt, JSONC) and JSONL datasets in the editor: diagnostics from the
// shared parsers at the right line and field, an "Inspect" CodeLens above a prompt file and
// above each dataset line, and reading the prompt a command should run (from the buffer, so
// unsaved edits count). A broken file gives diagnostics and a message, never an exception.
import { existsSync } from 'node:fs';
import type { LogitLensOptions } from '../protocol/readouts';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseJsonl, parsePromptFile, toPromptInput, type Diagnostic } from '../engine/prompts/index';
import type { DecodingOptions, Intervention, PromptInput } from '../protocol/types';

export interface PromptSource {
  uri: vscode.Uri;
  /** 0-based line of a JSONL dataset row. */
  line?: number;
}

export interface LoadedPrompt {
  prompt: PromptInput;
  /** For progress titles and logs: "file.rlprompt" or "set.jsonl:12". */
  label: string;
  /** The source file, workspace-relative. */
  file: string;
  /** Folder of the source file, for relative paths in it. */
  fileDir: string | undefined;
  model?: string;
  /** The file's `axes`: names or direction-file paths as written (resolved by the controller). */
  axes?: string[];
  interventions?: Intervention[];
  decoding?: Partial<DecodingOptions>;
  /** The file's `logitLens`: the inspector reads the lens only when a prompt file asks for it. */
  logitLens?: LogitLensOptions;
  /** Some intervention says "all" layers: parse again once the model's layer count is known. */
  needsLayerCount?: boolean;
  /** The file's `reference` set: a path made absolute against the file's folder, else a set name as written (the worker resolves it). */
  reference?: string;
  /** A dataset row: its 1-based line and id (the inspector names it). */
  row?: { line: number; id: string };
}

/** Datasets above this size get no per-line lenses or diagnostics (the editor stays responsive). */
const MAX_SCAN_CHARS = 8 * 1024 * 1024;
const MAX_LENSES = 5000;

export function isPromptFile(uri: vscode.Uri): boolean {
  return uri.path.endsWith('.rlprompt');
}
/** A JSONL prompt set; annotation output (`*.results.jsonl`) holds results, not prompts. */
export function isDataset(uri: vscode.Uri): boolean {
  return uri.path.endsWith('.jsonl') && !uri.path.endsWith('.results.jsonl');
}

export function promptSourceFromEditor(editor: vscode.TextEditor | undefined): PromptSource | undefined {
  if (!editor) return undefined;
  const uri = editor.document.uri;
  if (isPromptFile(uri)) return { uri };
  if (isDataset(uri)) return { uri, line: editor.selection.active.line };
  return undefined;
}

let collection: vscode.DiagnosticCollection | undefined;

function label(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

function toVscode(d: Diagnostic): vscode.Diagnostic {
  // Parser positions are 1-based with an exclusive end; VS Code's are 0-based.
  const range = new vscode.Range(Math.max(0, d.line - 1), Math.max(0, d.column - 1), Math.max(0, d.endLine - 1), Math.max(0, d.endColumn - 1));
  const diag = new vscode.Diagnostic(range, d.field ? `${d.field}: ${d.message}` : d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  diag.source = 'Refusal Lens';
  return diag;
}

/** Parses `doc` and publishes its diagnostics; returns them. */
export function refreshDiagnostics(doc: vscode.TextDocument, nLayers?: number): Diagnostic[] {
  if (!isPromptFile(doc.uri) && !isDataset(doc.uri)) return [];
  const text = doc.getText();
  let diags: Diagnostic[] = [];
  if (isPromptFile(doc.uri)) {
    diags = parsePromptFile(text, label(doc.uri), nLayers !== undefined ? { nLayers } : {}).diagnostics;
  } else if (text.length <= MAX_SCAN_CHARS) {
    diags = parseJsonl(text, label(doc.uri)).diagnostics;
  }
  collection?.set(doc.uri, diags.map(toVscode));
  return diags;
}

/**
 * The prompt at `source`, or undefined after telling the user what is wrong and where;
 * `onProblem` hears the same message (the inspector marks its previous run stale with it).
 */
export async function readPromptAt(source: PromptSource, nLayers?: number, onProblem?: (message: string) => void): Promise<LoadedPrompt | undefined> {
  const fail = (message: string): undefined => {
    onProblem?.(message);
    void vscode.window.showErrorMessage(`Refusal Lens: ${message}`);
    return undefined;
  };
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(source.uri);
  } catch (err) {
    return fail(`cannot open ${source.uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const name = label(doc.uri);
  const fileDir = doc.uri.scheme === 'file' ? path.dirname(doc.uri.fsPath) : undefined;
  if (isPromptFile(doc.uri)) {
    const parsed = parsePromptFile(doc.getText(), name, nLayers !== undefined ? { nLayers } : {});
    collection?.set(doc.uri, parsed.diagnostics.map(toVscode));
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (!parsed.prompt || errors.length) {
      const first = errors[0];
      const where = first ? ` First: line ${first.line}${first.field ? `, ${first.field}` : ''}: ${first.message}` : '';
      return fail(`${name} has ${errors.length || 'unreadable'} problem${errors.length === 1 ? '' : 's'} (see Problems).${where}`);
    }
    const p = parsed.prompt;
    const out: LoadedPrompt = { prompt: toPromptInput(p), label: name, file: name, fileDir, decoding: p.decoding, ...(p.logitLens ? { logitLens: p.logitLens } : {}) };
    if (p.model) out.model = p.model;
    if (p.reference) out.reference = fileDir && existsSync(path.resolve(fileDir, p.reference)) ? path.resolve(fileDir, p.reference) : p.reference;
    if (p.axes.length) out.axes = [...p.axes];
    if (p.interventions.length) {
      out.interventions = p.interventions.map(({ layerSpec: _spec, ...iv }) => iv as Intervention);
      if (out.interventions.some((iv) => iv.layers.length === 0)) out.needsLayerCount = true;
    }
    return out;
  }
  if (isDataset(doc.uri)) {
    const line = source.line ?? 0;
    const { rows, diagnostics } = parseJsonl(doc.getText(), name);
    collection?.set(doc.uri, diagnostics.map(toVscode));
    const row = rows.find((r) => r.line === line + 1);
    if (!row) {
      const diag = diagnostics.find((d) => d.line === line + 1 && d.severity === 'error');
      const why = diag ? `${diag.field ? `${diag.field}: ` : ''}${diag.message}` : 'the line is empty';
      return fail(`${name} line ${line + 1} is not a prompt: ${why}`);
    }
    return { prompt: toPromptInput(row), label: `${name}:${line + 1}`, file: name, fileDir, row: { line: row.line, id: row.id } };
  }
  return fail(`${name} is not a .rlprompt file or a .jsonl dataset.`);
}

export class InspectCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    if (isPromptFile(doc.uri)) {
      return [new vscode.CodeLens(top, { title: '$(telescope) Inspect', tooltip: 'Refusal Lens: run this prompt and show the inspector', command: 'refusalLens.inspectPrompt', arguments: [doc.uri] })];
    }
    if (!isDataset(doc.uri) || doc.getText().length > MAX_SCAN_CHARS) return [];
    const lenses: vscode.CodeLens[] = [];
    for (let i = 0; i < doc.lineCount && lenses.length < MAX_LENSES; i++) {
      if (doc.lineAt(i).isEmptyOrWhitespace) continue;
      lenses.push(new vscode.CodeLens(new vscode.Range(i, 0, i, 0), { title: 'Inspect', tooltip: `Refusal Lens: run line ${i + 1}`, command: 'refusalLens.inspectPrompt', arguments: [doc.uri, i] }));
    }
    return lenses;
  }
}

/** Diagnostics for open prompt files and datasets, kept current as they change (debounced). */
export function registerPromptFiles(): vscode.Disposable[] {
  collection = vscode.languages.createDiagnosticCollection('refusalLens');
  const timers = new Map<string, NodeJS.Timeout>();
  const later = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => (timers.delete(key), refreshDiagnostics(doc)), 300));
  };
  for (const doc of vscode.workspace.textDocuments) refreshDiagnostics(doc);
  const selector: vscode.DocumentSelector = [{ pattern: '**/*.rlprompt' }, { pattern: '**/*.jsonl' }];
  return [
    collection,
    vscode.languages.registerCodeLensProvider(selector, new InspectCodeLensProvider()),
    vscode.workspace.onDidOpenTextDocument(refreshDiagnostics),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection?.delete(doc.uri)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  ];
}
