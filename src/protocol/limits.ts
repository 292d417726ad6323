// Every bound on a size, count or file the engine accepts, in one place. Each is checked before
// work starts, so bad input gets a message naming the option and the limit instead of a hang,
// an out-of-memory death or a 12 GB allocation. Here in protocol/ because the host checks the
// prompt size too, before a request crosses IPC. docs/ARCHITECTURE.md ("Limits") lists them.
import type { PromptInput } from './types';

const MiB = 1024 * 1024;

export const LIMITS = {
  /** ONNX Runtime intra-op threads (one OS thread each; 1e6 of them never finish starting). */
  threads: 256,
  /** Absolute steering coefficient: beyond it the residual stream leaves float32's useful range. */
  steerCoefficient: 1e4,
  /** Characters of prompt text (messages + prefill) in one request: far beyond any context window. */
  promptChars: 4_000_000,
  /** Trailing positions `select` scores per prompt (each costs n_layers · d_model doubles per set). */
  selectPositions: 64,
  /** Top tokens per layer and position the logit lens returns (each is a TopK output column). */
  lensTopK: 100,
  /** Prompt positions one logit-lens run reads (each costs one vocabulary-sized matmul per layer). */
  lensPositions: 64,
  /** Random directions `geometry` draws for the spread. */
  geometrySamples: 100_000,
  /** Prompts per batch (extract, select, annotate, ablate). */
  batchSize: 256,
  /** Rows of a set an experiment may take (`--limit`). */
  rows: 10_000_000,
  /** Bytes of a prompt file (*.rlprompt). */
  promptFileBytes: 8 * MiB,
  /** Bytes of a condition file (YAML/JSON). */
  conditionFileBytes: 8 * MiB,
  /** Bytes of a JSONL dataset (read whole; V8 strings stop near 512 MiB). */
  datasetBytes: 256 * MiB,
  /**
   * Characters of one JSONL line; a longer line is a skipped row. Above promptChars, so a row
   * whose prompt is merely too long still parses and becomes an error row naming its id.
   */
  jsonlLineChars: 16_000_000,
  /**
   * Bytes of an annotate results file (read whole to resume or show it). A V8 string holds at
   * most 2^29 - 24 UTF-16 units (buffer.constants.MAX_STRING_LENGTH, just under 512 MiB), and a
   * UTF-8 file decodes to at most one unit per byte: 500 MiB always decodes, with headroom.
   */
  resultsFileBytes: 500 * MiB,
  /** Bytes of a model folder's JSON or template file (config, tokenizer, chat template). */
  modelJsonBytes: 256 * MiB,
  /** A safetensors header length; the reference implementation refuses more than 100 MB too. */
  safetensorsHeaderBytes: 100_000_000,
  /** n_layers · d_model of a direction file read without a model to bound it (256 MiB of float32). */
  directionValues: 64 * MiB,
} as const;

export type LimitName = keyof typeof LIMITS;

/** Human form of a byte count for messages: "8 MiB", "100000000 bytes". */
export function formatBytes(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

/**
 * A prompt's size against LIMITS.promptChars (characters of message and prefill text, or token
 * ids): the message when it is over, else undefined. Cheap: it only adds lengths.
 */
export function promptSizeProblem(prompt: PromptInput): string | undefined {
  if (!prompt || typeof prompt !== 'object') return undefined; // the tokenizer reports the shape
  let n = 0;
  if (prompt.kind === 'chat') {
    if (Array.isArray(prompt.messages)) for (const m of prompt.messages) n += typeof m?.content === 'string' ? m.content.length : 0;
    if (typeof prompt.prefill === 'string') n += prompt.prefill.length;
  } else if (prompt.kind === 'tokens' && Array.isArray(prompt.tokenIds)) n = prompt.tokenIds.length;
  if (n <= LIMITS.promptChars) return undefined;
  return `${n} ${prompt.kind === 'tokens' ? 'token ids' : 'characters of prompt text'} is over the limit of ${LIMITS.promptChars} (no model's context holds that much)`;
}
