// A trace's readouts as a named map (schema refusal-lens.trace/2, docs/trace-json.md): each
// readout is one thing read from the hooked graph per run. `projections` is always there;
// `logitLens` only when it was asked for (it costs a vocabulary-sized matmul per layer).
import type { TraceResult } from './types';

/** Which readouts a trace can carry, in the order they are documented. */
export const READOUT_NAMES = ['projections', 'logitLens'] as const;
export type ReadoutName = (typeof READOUT_NAMES)[number];

/** Default number of top tokens per layer and position. */
export const LENS_DEFAULT_TOP_K = 5;

/** Asks for the logit lens; both fields optional. */
export interface LogitLensOptions {
  /**
   * Prompt token positions to read: 0-based, or negative counting back from the end of the prompt
   * (-1 = the last prompt token, the default: where the refusal decision shows).
   */
  positions?: number[];
  /** top tokens per layer and position (default LENS_DEFAULT_TOP_K) */
  topK?: number;
}

export interface LensToken {
  id: number;
  /** the token decoded alone */
  text: string;
  /** probability under softmax(lm_head(final_norm(r_l))) */
  p: number;
}

/** The final norm and lm_head applied to each layer's residual after interventions (rl.resid.l). */
export interface LogitLensReadout {
  /** token positions read (indices into `tokens`), ascending */
  positions: number[];
  topK: number;
  /** the refusal-start token ids whose probabilities are summed (the refusal score's set) */
  refusalTokenIds: number[];
  /** top[layerIndex][positionIndex] = topK tokens, most probable first */
  top: LensToken[][][];
  /** refusal[layerIndex][positionIndex] = summed probability of the refusal-start tokens */
  refusal: number[][];
}

export interface Readouts {
  /** projections[axis][layerIndex][token] = r·v̂_l after that layer's interventions */
  projections: number[][][];
  logitLens?: LogitLensReadout;
}


/**
 * A trace as written to a file or stdout: schema 2 (readouts map; the in-memory `projections`
 * alias dropped) or, on request, schema 1 (top-level `projections`, no other readouts).
 */
export function traceJson(t: TraceResult, version: 1 | 2 = 2): Record<string, unknown> {
  const { projections: _alias, readouts, ...rest } = t;
  void _alias;
  if (version === 2) return { ...rest, readouts };
  const { schema: _s, ...fields } = rest;
  void _s;
  // trace/1 had projections where trace/2 has readouts; same field order otherwise
  const out: Record<string, unknown> = { schema: 'refusal-lens.trace/1' };
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v;
    if (k === 'axes') out['projections'] = readouts.projections;
  }
  return out;
}
