// Data types for prompt files (*.rlprompt) and JSONL prompt sets, shared by the engine, the CLI,
// the extension host (which validates unsaved buffers) and the webview.
// No runtime dependencies: this file must stay importable from the browser bundle.
import type { ChatMessage, DecodingOptions, Intervention } from './types';
import type { LogitLensOptions } from './readouts';

/**
 * A problem located in a source file. Lines and columns are 1-based, columns count UTF-16 code
 * units (as VS Code does), and the end is exclusive (endColumn is one past the last character).
 */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** JSON path of the offending value, e.g. "interventions[0].layers"; "" for the whole document. */
  field: string;
  message: string;
  severity: 'error' | 'warning';
}

/**
 * An intervention from a prompt file. `layerSpec` keeps the layers as written when they were a
 * string ("4-7", "all"); "all" can only be expanded once the model's layer count is known, so
 * until then `layers` is empty — parse again with `nLayers` to resolve and bound-check.
 */
export type PromptIntervention = Intervention & { layerSpec?: string };

/** A checked *.rlprompt file. */
export interface ParsedPrompt {
  /** The conversation, system message first when there is one; the last message is the user's. */
  messages: ChatMessage[];
  /** Assistant text the response continues. */
  prefill?: string;
  /** Model folder (relative paths are relative to the prompt file) or "builtin". */
  model?: string;
  /** The reference set (protocol/reference.ts) as written: a built-in set name or a file relative to the prompt file. */
  reference?: string;
  /** Axis names or direction-file paths, in the order given. */
  axes: string[];
  interventions: PromptIntervention[];
  decoding: Partial<DecodingOptions>;
  /** Read the logit lens too (`"logitLens": true` or `{positions, topK}`). */
  logitLens?: LogitLensOptions;
}

/** One prompt of a JSONL set. */
export interface DatasetRow {
  /** The row's `id`, or the first 12 hex digits of sha256 of its normalised content. */
  id: string;
  /** 1-based line in the source file. */
  line: number;
  messages: ChatMessage[];
  prefill?: string;
  /** Every field not consumed as the prompt (category, kind, persona, target, …). */
  extra: Record<string, unknown>;
}
