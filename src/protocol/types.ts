// Data types shared by engine, worker, CLI, extension host and webview.
// No runtime dependencies: this file must stay importable from the browser bundle.
//
// Layer convention (everywhere): layer `l` (0-based) is the output of decoder block `l`,
// TransformerLens `blocks.l.hook_resid_post`, Hugging Face `hidden_states[l+1]`
// (except that HF applies the final norm to its last entry; we never do).
import type { DeviceReport } from './device';
import type { Readouts } from './readouts';

/** Which token positions an intervention touches. */
export type Positions = 'all' | 'prompt' | 'generated';

/** r ← r + coefficient · v_l  (raw stored vector, so coefficient 1 adds one difference of means). */
export interface SteerIntervention {
  kind: 'steer';
  /** Name of a loaded axis. */
  axis: string;
  coefficient: number;
  /** 0-based layers where the vector is added. */
  layers: number[];
  /** Take v from this layer for every target layer (default: v_l at layer l). */
  sourceLayer?: number;
  positions?: Positions;
}

/** r ← r − Q Qᵀ r, Q an orthonormal basis of span{v̂_l(axis) : axis ∈ axes}; applied after the steers of the same layer. */
export interface ProjectOutIntervention {
  kind: 'project_out';
  axes: string[];
  layers: number[];
  sourceLayer?: number;
  positions?: Positions;
}

/**
 * Activation capping: p = r·v̂_l, r ← r + (clamp(p, lo, hi) − p)·v̂_l, applied after the steers and
 * project-outs of the same layer. An absent bound is open on that side; at least one is given.
 * Caps active at one layer are applied together from the same r (exact when their axes are orthogonal).
 */
export interface CapIntervention {
  kind: 'cap';
  axis: string;
  lo?: number;
  hi?: number;
  layers: number[];
  sourceLayer?: number;
  positions?: Positions;
}

export type Intervention = SteerIntervention | ProjectOutIntervention | CapIntervention;

/** "cap persona ≤ 0", "cap persona ≥ -2", "cap persona to [-2, 0]": the one wording every describer uses. */
export function capText(iv: CapIntervention): string {
  if (iv.lo !== undefined && iv.hi !== undefined) return `cap ${iv.axis} to [${iv.lo}, ${iv.hi}]`;
  return iv.hi !== undefined ? `cap ${iv.axis} ≤ ${iv.hi}` : `cap ${iv.axis} ≥ ${iv.lo}`;
}

/** The axis names an intervention reads (exhaustive over kinds). */
export function interventionAxes(iv: Intervention): string[] {
  switch (iv.kind) {
    case 'steer':
    case 'cap':
      return [iv.axis];
    case 'project_out':
      return iv.axes;
    default: {
      const never: never = iv;
      throw new Error(`unknown intervention kind ${JSON.stringify((never as { kind?: unknown }).kind)}`);
    }
  }
}

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

export type Label = 'refusal' | 'bypass' | 'degenerate';

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
  decoding: DecodingOptions;
  timings: Timings;
}

/** Streamed while generating: one per token (prompt tokens arrive in one batch after prefill). */
export interface TokenEvent {
  tokens: TokenInfo[];
  /** [axis][layer][k] for the k-th token of `tokens`. */
  projections: number[][][];
}
