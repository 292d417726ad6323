// Workspace trust: a file inside an untrusted workspace is content someone else chose (a
// crafted graph or file parsed by native code), so loading one needs the user's yes. Files
// outside every workspace folder (the built-in model, the HF cache, the user's own settings)
// load without asking. A yes lasts for this window's session. Every file a workspace names
// goes through confirmLoad; the inside/outside answer is paths.ts's, real paths compared.
import * as vscode from 'vscode';
import { isInsideAny, pathKey } from './paths';

export type LoadKind = 'model folder' | 'direction file' | 'prompt set' | 'results file';

const allowed = new Set<string>();

export function isInsideWorkspace(p: string): boolean {
  return isInsideAny((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), p);
}

/** Resolves when `p` may be loaded; rejects with a message naming the path when the user says no. */
export async function confirmLoad(kind: LoadKind, p: string): Promise<void> {
  if (vscode.workspace.isTrusted || !isInsideWorkspace(p)) return;
  const key = pathKey(p);
  if (allowed.has(key)) return;
  const load = 'Load It';
  const answer = await vscode.window.showWarningMessage(
    `This workspace is not trusted. Load the ${kind} ${p} from it? Refusal Lens parses it in its engine process.`,
    { modal: true },
    load,
  );
  if (answer !== load) throw new Error(`not loading the ${kind} ${p}: the workspace is not trusted`);
  allowed.add(key);
}

/** confirmLoad for each file in turn; one "no" stops the lot. */
export async function confirmLoads(files: readonly { kind: LoadKind; path: string }[]): Promise<void> {
  for (const f of files) await confirmLoad(f.kind, f.path);
}
