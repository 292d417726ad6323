// Refusal Lens: Export Axis… — hands a direction (or any vector file we read) to other tools:
// GGUF control vector, Neuronpedia vector.yaml + safetensors, .pt, .npy (docs/vectors.md). The
// conversion is the engine's; this file only asks where to and what to.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readVectorFile, VECTOR_EXTENSIONS } from '../engine/directions/formats/index';
import { exportDirection, EXPORT_FORMATS, type ExportFormat } from '../engine/directions/formats/export';
import type { ModelSummary } from '../protocol/types';

const LABELS: Record<ExportFormat, string> = {
  gguf: 'GGUF control vector (llama.cpp --control-vector, Ollama, LM Studio)',
  neuronpedia: 'Neuronpedia-style vector.yaml + safetensors (one layer)',
  pt: 'PyTorch .pt (torch.load)',
  npy: 'NumPy .npy',
};

export async function exportAxis(model: ModelSummary | undefined, arg?: unknown): Promise<void> {
  let file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  if (!file) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Vector files': [...VECTOR_EXTENSIONS] }, title: 'Axis to export' });
    if (!uris?.length) return;
    file = uris[0]!.fsPath;
  }
  const pick = await vscode.window.showQuickPick(EXPORT_FORMATS.map((f) => ({ label: f, description: LABELS[f], f })), { title: `Export ${path.basename(file)} as` });
  if (!pick) return;
  try {
    const dir = await readVectorFile(file, model ? { nLayers: model.layers, dModel: model.dModel, graphHash: model.graphHash } : undefined);
    let layer: number | undefined;
    if (pick.f === 'neuronpedia' && dir.meta.sourceLayer === undefined) {
      const s = await vscode.window.showInputBox({
        title: 'Layer to export (ours: output of block l)',
        prompt: `0..${dir.nLayers - 1}`,
        validateInput: (v) => (/^\d+$/.test(v) && Number(v) < dir.nLayers ? undefined : `a layer from 0 to ${dir.nLayers - 1}`),
      });
      if (s === undefined) return;
      layer = Number(s);
    }
    const base = file.replace(/\.[^./\\]*$/, '');
    const target =
      pick.f === 'neuronpedia'
        ? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Folder for vector.yaml' }))?.[0]
        : await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(`${base}.${pick.f}`), title: 'Export to' });
    if (!target) return;
    const res = exportDirection(dir, pick.f, target.fsPath, layer !== undefined ? { layer } : {});
    const notes = res.warnings.length ? ` (${res.warnings.join(' ')})` : '';
    void vscode.window.showInformationMessage(`Refusal Lens: exported ${path.basename(file)} to ${res.files.map((f) => path.basename(f)).join(', ')}${notes}`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Refusal Lens: export failed: ${(e as Error).message}`);
  }
}
