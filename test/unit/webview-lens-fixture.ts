// A logit-lens readout for the inspector fixtures (webview-fixture.ts): the first and last
// prompt tokens, refusal probability falling with depth at the last one.
import type { LogitLensReadout } from '../../src/protocol/readouts';
import type { TraceResult } from '../../src/protocol/types';
import { N_LAYERS, PROMPT } from './webview-fixture';

export const LAST = PROMPT.length - 1;

/** A lens at the first and last prompt tokens: refusal falls with depth at the last one. */
export function lens(scale: number): LogitLensReadout {
  const layers = Array.from({ length: N_LAYERS }, (_, l) => l);
  return {
    positions: [0, LAST],
    topK: 2,
    refusalTokenIds: [40],
    top: layers.map((l) => [
      [{ id: 1, text: 'a', p: 0.5 }, { id: 2, text: 'b', p: 0.25 }],
      [{ id: 40, text: 'I', p: scale * (1 - l / N_LAYERS) }, { id: 41, text: 'Sure', p: 0.1 }],
    ]),
    refusal: layers.map((l) => [0.01, scale * (1 - l / N_LAYERS)]),
  };
}
export const withLens = (r: TraceResult, scale: number): TraceResult => ({ ...r, readouts: { ...r.readouts, logitLens: lens(scale) } });

