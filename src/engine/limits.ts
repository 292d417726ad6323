// Every bound on a size, count or file the engine accepts, in one place. Each is checked before
// work starts, so bad input gets a message naming the option and the limit instead of a hang,
// an out-of-memory death or a 12 GB allocation. docs/ARCHITECTURE.md ("Limits") lists them.

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
  /** Characters of one JSONL line (one prompt plus its fields); a longer line is a skipped row. */
  jsonlLineChars: 4_000_000,
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
