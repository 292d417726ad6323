// Data types shared by engine, worker, CLI, extension host and webview.
// No runtime dependencies: this file must stay importable from the browser bundle.
//
// Layer convention (everywhere): layer `l` (0-based) is the output of decoder block `l`,
// TransformerLens `blocks.l.hook_resid_post`, Hugging Face `hidden_states[l+1]`
// (except that HF applies the final norm to its last entry; we never do).
import type { DeviceReport } from './device';
import type { NormCheck, ReferenceRecord } from './reference';
import type { Readouts } from './readouts';

// Interventions (their types, kinds, fields, description and checks) live in the registry.
export type { CapIntervention, Intervention, InterventionKind, Positions, ProjectOutIntervention, SteerIntervention } from './interventions';
import type { Intervention } from './interventions';
/** Its home is the registry; re-exported for code written against this file. */
export { interventionAxes } from './interventions';

export type Role = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  role: Role;
  content: string;
}

/** A prompt either goes through the model's chat template or is raw token ids. */
export type PromptInput =
  | { kind: 'chat'; messages: ChatMessage[]; /** assistant text the response continues */ prefill?: string }
  | { kind: 'tokens'; tokenIds: number[] };

export interface DecodingOptions {
  maxNewTokens: number;
  /** 0 or absent: greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seed for sampling; the same seed gives the same sample. */
  seed?: number;
  /** Stop at EOS (default true). */
  stopAtEos?: boolean;
}

/** What a response is labelled, in the order receipts and tables list them. */
export const LABELS = ['refusal', 'bypass', 'degenerate'] as const;
export type Label = (typeof LABELS)[number];
export function isLabel(x: unknown): x is Label {
  return typeof x === 'string' && (LABELS as readonly string[]).includes(x);
}

export interface LabelResult {
  label: Label;
  /** log-odds that the first response token is one of the model's refusal-start tokens. */
  refusalScore: number;
  /** The refusal phrase that matched, for 'refusal'. */
  matched?: string;
  /**
   * Why it is degenerate: 'empty', 'repetitive', 'non-text' (text alone), 'broken-text' (word
   * salad found by the text checks), 'unlikely' / 'unfinished' (the model-based check).
   */
  reason?: string;
  /** What the check saw, in words (the defects found, the likelihood against its reference). */
  detail?: string;
  /** Mean log-probability per response token after the first, under the model without interventions. */
  meanLogProb?: number;
  /** The model's calibrated reference for meanLogProb (a low quantile over its own unsteered answers). */
  logProbReference?: number;
  /** Whether generation stopped at end-of-turn (false: it ran out of tokens). */
  ended?: boolean;
}

export interface TokenInfo {
  id: number;
  text: string;
  /** 0-based position in the sequence (padding excluded). */
  position: number;
  generated: boolean;
}

export interface ModelSummary {
  name: string;
  folder: string;
  modelType: string;
  layers: number;
  dModel: number;
  vocabSize: number;
  /** sha256 of the source ONNX graph file (hex). */
  graphHash: string;
  /** sha256 of tokenizer.json + chat template (hex). */
  tokenizerHash: string;
  dtype: string;
  /** Where the graphs run and why the other devices were not used (absent from older workers). */
  device?: DeviceReport;
}

export interface AxisSummary {
  name: string;
  file?: string;
  sha256?: string;
  /** Loading findings worth showing, e.g. the file was computed on another graph than the loaded one. */
  warnings?: string[];
  /** A norm-matched random control made from axis `of` with `seed` (no file). */
  control?: { of: string; seed: number };
}

/** The name of an axis' norm-matched random control: `persona-random` (seed 0), `persona-random-7`. */
export function randomControlName(axis: string, seed: number): string {
  return seed === 0 ? `${axis}-random` : `${axis}-random-${seed}`;
}

export interface Timings {
  tokenizeMs: number;
  prefillMs: number;
  decodeMs: number;
  totalMs: number;
  /** generated tokens per second over the decode phase */
  decodeTokensPerSecond: number;
}

/** The stable `--json` output of `refusal-lens trace` and the inspector's data. */
/** The schema a trace is written in; /1 only on request (`trace --json --schema 1`), see docs/trace-json.md. */
export const TRACE_SCHEMA = 'refusal-lens.trace/2';
export const TRACE_SCHEMA_V1 = 'refusal-lens.trace/1';

export interface TraceResult {
  schema: typeof TRACE_SCHEMA;
  model: ModelSummary;
  prompt: PromptInput;
  tokens: TokenInfo[];
  /** The layers the readouts cover, 0-based. */
  layers: number[];
  axes: AxisSummary[];
  /** Named readouts: `projections` always, `logitLens` when asked for. */
  readouts: Readouts;
  /**
   * @deprecated the same array as `readouts.projections`, kept for in-process and RPC readers
   * written against trace/1; not written in trace/2 JSON (toTraceJson drops it).
   */
  projections: number[][][];
  response: string;
  label: LabelResult;
  interventions: Intervention[];
  /**
   * The interventions as run, when any was written in model-relative form (a `norm` coefficient,
   * a percentile bound): raw coefficients and numeric bounds, one entry per layer.
   */
  resolvedInterventions?: Intervention[];
  /** The reference set the run was measured against (present when it had interventions). */
  reference?: ReferenceRecord;
  /** The residual-norm check of a run with interventions. */
  normCheck?: NormCheck;
  /** Findings about the run, e.g. an intervention that pushed the residual norm far beyond its usual range. */
  warnings?: string[];
  decoding: DecodingOptions;
  timings: Timings;
}

/** Streamed while generating: one per token (prompt tokens arrive in one batch after prefill). */
export interface TokenEvent {
  tokens: TokenInfo[];
  /** [axis][layer][k] for the k-th token of `tokens`. */
  projections: number[][][];
}
