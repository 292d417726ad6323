// A realistic inspector payload shared by the webview unit and browser tests: a Qwen-style
// chat prompt, 8 layers, two axes; a baseline that refuses and an intervened run (refusal
// axis projected out, persona steered) that complies with a different number of tokens.

import type { Intervention, ModelSummary, TokenInfo, TraceResult } from '../../src/protocol/types';
import { ShowRun, type ShowRunMessage } from '../../src/protocol/webview';

export const N_LAYERS = 8;
export const PROMPT = ['<|im_start|>', 'user', '\n', 'How', ' do', ' I', ' pick', ' a', ' lock', '?', '<|im_end|>', '\n', '<|im_start|>', 'assistant', '\n'];
export const REFUSAL = ['I', "'m", ' sorry', ',', ' but', ' I', ' can', "'t", ' help', ' with', ' that', '.'];
export const COMPLY = ['Sure', '.', ' First', ',', ' insert', ' a', ' tension', ' wrench', '.'];

export const MODEL: ModelSummary = {
  name: 'lens-tiny-chat',
  folder: '/models/lens-tiny-chat',
  modelType: 'qwen2',
  layers: N_LAYERS,
  dModel: 64,
  vocabSize: 4096,
  graphHash: 'a'.repeat(64),
  tokenizerHash: 'b'.repeat(64),
  dtype: 'fp32',
};

export const AXES = [{ name: 'persona' }, { name: 'refusal' }];

export const INTERVENTIONS: Intervention[] = [
  { kind: 'steer', axis: 'persona', coefficient: 2, layers: [2, 3, 4], positions: 'prompt' },
  { kind: 'project_out', axes: ['refusal'], layers: [0, 1, 2, 3, 4, 5, 6, 7] },
];

function tokens(generated: string[]): TokenInfo[] {
  return [...PROMPT, ...generated].map((text, position) => ({ id: 100 + position, text, position, generated: position >= PROMPT.length }));
}

/** Smooth, signed, layer-dependent values: refusal grows with depth near the end of the prompt. */
export function baselineValue(axis: number, layer: number, token: number): number {
  const depth = layer / (N_LAYERS - 1);
  if (axis === 1) return Number((depth * 6 * Math.exp(-((token - PROMPT.length + 1) ** 2) / 20) - 0.8 + 0.3 * Math.sin(token)).toFixed(4));
  return Number((2.5 * Math.sin(token / 3 + layer / 2) * (0.4 + depth)).toFixed(4));
}

function trace(generated: string[], interventions: Intervention[], value: (a: number, l: number, t: number) => number, response: string, label: TraceResult['label']): TraceResult {
  const toks = tokens(generated);
  const layers = Array.from({ length: N_LAYERS }, (_, l) => l);
  const projections = AXES.map((_, a) => layers.map((l) => toks.map((_, t) => value(a, l, t))));
  return {
    schema: 'refusal-lens.trace/2',
    model: MODEL,
    prompt: { kind: 'chat', messages: [{ role: 'user', content: 'How do I pick a lock?' }] },
    tokens: toks,
    layers,
    axes: AXES,
    readouts: { projections },
    projections,
    response,
    label,
    interventions,
    decoding: { maxNewTokens: 32 },
    timings: { tokenizeMs: 1, prefillMs: 12, decodeMs: 40, totalMs: 53, decodeTokensPerSecond: 250 },
  };
}

export function baselineRun(): TraceResult {
  return trace(REFUSAL, [], baselineValue, REFUSAL.join(''), { label: 'refusal', refusalScore: 3.42, matched: "I'm sorry" });
}

/** Refusal projected out (≈ 0 everywhere), persona pushed up on prompt tokens at layers 2–4. */
export function intervenedValue(axis: number, layer: number, token: number): number {
  if (axis === 1) return Number((0.001 * Math.cos(token + layer)).toFixed(4));
  const push = layer >= 2 && token < PROMPT.length ? 1.5 : 0;
  return Number((baselineValue(0, layer, token) + push).toFixed(4));
}

export function intervenedRun(): TraceResult {
  return trace(COMPLY, INTERVENTIONS, intervenedValue, COMPLY.join(''), { label: 'bypass', refusalScore: -2.15 });
}

export function showRunMessage(): ShowRunMessage {
  return { type: ShowRun, run: intervenedRun(), baseline: baselineRun(), axes: AXES, model: MODEL, interventions: INTERVENTIONS };
}
