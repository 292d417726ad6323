// Prompt files (*.rlprompt) and JSONL prompt sets, parsed from strings with located diagnostics.
// Pure (only jsonc-parser): the extension host and webview bundle it too.
import type { DatasetRow, ParsedPrompt } from '../../protocol/prompts';
import type { PromptInput } from '../../protocol/types';

export type { DatasetRow, Diagnostic, ParsedPrompt, PromptIntervention } from '../../protocol/prompts';
export { formatPath, type Path } from './check';
export { contentId, parseJsonl, parseJsonRecords, PROMPT_TEXT_FIELDS, type FieldMap, type JsonRecord } from './jsonl';
export { formatLayerSpec, parseLayerSpec } from './layers';
export { DECODING_FIELDS, parsePromptFile, PROMPT_FIELDS, type PromptFileOptions } from './promptFile';
export { promptFileFields } from './interventions';
export { sha256Bytes, sha256Text } from './sha256';

/** The model input for a dataset row or a parsed prompt file (messages are copied). */
export function toPromptInput(source: DatasetRow | ParsedPrompt): PromptInput {
  const input: PromptInput = { kind: 'chat', messages: source.messages.map((m) => ({ ...m })) };
  if (source.prefill !== undefined) input.prefill = source.prefill;
  return input;
}
