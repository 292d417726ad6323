// The logit lens's request side (which prompt positions, how many top tokens) and its result
// (token texts added to what the graph gave). The computation itself is in the graph:
// src/engine/onnx/lens.ts.

import { LENS_DEFAULT_TOP_K, type LogitLensOptions, type LogitLensReadout } from '../../protocol/readouts.js';
import { LIMITS } from '../../protocol/limits.js';
import type { RawLens } from './loop.js';

/** Throws a message naming the field when the options are malformed (before any tokenizing). */
export function checkLensOptions(o: LogitLensOptions, where = 'logitLens'): void {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${where} must be an object ({positions?, topK?}), got ${JSON.stringify(o)}`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1 || o.topK > LIMITS.lensTopK)) {
    throw new Error(`${where}.topK must be an integer 1..${LIMITS.lensTopK}, got ${JSON.stringify(o.topK)}`);
  }
  if (o.positions !== undefined) {
    if (!Array.isArray(o.positions) || o.positions.length === 0) throw new Error(`${where}.positions must be a non-empty list of token positions, got ${JSON.stringify(o.positions)}`);
    if (o.positions.length > LIMITS.lensPositions) throw new Error(`${where}.positions: ${o.positions.length} positions is over the limit of ${LIMITS.lensPositions}`);
    o.positions.forEach((p, i) => {
      if (!Number.isInteger(p)) throw new Error(`${where}.positions[${i}] must be an integer (0-based, or negative from the end of the prompt), got ${JSON.stringify(p)}`);
    });
  }
}

/** 0-based prompt positions, ascending and unique; -1 is the last prompt token. */
export function resolveLensPositions(o: LogitLensOptions, promptLength: number, where = 'logitLens'): number[] {
  const asked = o.positions ?? [-1];
  const out = asked.map((p, i) => {
    const q = p < 0 ? promptLength + p : p;
    if (q < 0 || q >= promptLength) {
      throw new Error(`${where}.positions[${i}] = ${p} is outside the prompt (${promptLength} tokens: 0..${promptLength - 1}, or -1..-${promptLength} from the end)`);
    }
    return q;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

export const lensTopK = (o: LogitLensOptions): number => o.topK ?? LENS_DEFAULT_TOP_K;

export function lensReadout(raw: RawLens, positions: number[], topK: number, refusalTokenIds: number[], text: (id: number) => string): LogitLensReadout {
  return {
    positions,
    topK,
    refusalTokenIds,
    top: raw.topIds.map((perPos, l) => perPos.map((ids, p) => ids.map((id, j) => ({ id, text: text(id), p: raw.topProbs[l]![p]![j]! })))),
    refusal: raw.refusal,
  };
}
