// What an inspector run was of (RunSubject): the source, its text, model, device and the
// interventions asked for. No `vscode` import: unit-tested on plain data.
import type { Intervention, ModelSummary, PromptInput } from '../protocol/types';
import type { RunSubject } from '../protocol/webview';

export interface SubjectSource {
  prompt: PromptInput;
  file: string;
  row?: { line: number; id: string };
}

export function runSubject(src: SubjectSource, model: ModelSummary, requested: Intervention[], control?: RunSubject['control']): RunSubject {
  const out: RunSubject = {
    kind: src.row ? 'dataset-row' : 'prompt-file',
    file: src.file,
    model: `${model.name} · ${model.dtype}`,
    requested: requested.map((iv) => structuredClone(iv)),
  };
  if (src.row) {
    out.line = src.row.line;
    out.id = src.row.id;
  }
  if (model.device) out.device = `${model.device.device}${model.device.adapter ? ` [${model.device.adapter}]` : ''}`;
  if (src.prompt.kind === 'chat') {
    const system = src.prompt.messages.filter((m) => m.role === 'system').map((m) => m.content);
    const user = src.prompt.messages.filter((m) => m.role === 'user').map((m) => m.content);
    if (system.length) out.system = system.join('\n\n');
    if (user.length) out.user = user.join('\n\n');
    if (src.prompt.prefill !== undefined) out.prefill = src.prompt.prefill;
  } else {
    out.user = `(${src.prompt.tokenIds.length} raw token ids)`;
  }
  if (control) out.control = control;
  return out;
}
