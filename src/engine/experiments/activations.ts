// Per-prompt activation vectors at a position rule, from the engine's residuals():
//   last_prompt      the block outputs at the last prompt token
//   post_instruction the mean over the template tokens after the user's content (the
//                    generation prompt, e.g. "<|im_end|>\n<|im_start|>assistant\n"), plus any prefill
//   response_mean    generate, then the mean over the generated tokens (teacher-forced)
// Each vector is [nLayers * dModel], layer-major.
import type { DecodingOptions, PromptInput } from '../../protocol/types';
import type { LensModel } from '../index';
import { DEFAULT_MAX_NEW_TOKENS } from '../../protocol/decoding';

export const POSITION_RULES = ['last_prompt', 'post_instruction', 'response_mean'] as const;
export type PositionRule = (typeof POSITION_RULES)[number];

function commonSuffix(a: number[], b: number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * How many tokens the chat template puts after the last user message's content. Found without
 * knowing the template: re-encode with that content replaced by two probes that end in
 * different characters; the tokens all three encodings share at the end are the template's.
 */
export function postInstructionLength(model: Pick<LensModel, 'encode'>, prompt: PromptInput): number {
  if (prompt.kind !== 'chat') throw new Error("post_instruction positions need a chat prompt (not raw token ids)");
  const lastUser = prompt.messages.map((m) => m.role).lastIndexOf('user');
  if (lastUser < 0) throw new Error('post_instruction positions need a user message');
  const ids = model.encode(prompt).ids;
  const probe = (text: string) =>
    model.encode({ ...prompt, messages: prompt.messages.map((m, i) => (i === lastUser ? { ...m, content: text } : m)) }).ids;
  const n = Math.min(commonSuffix(ids, probe('0')), commonSuffix(ids, probe('1')));
  if (n === 0) throw new Error('the chat template adds no tokens after the user message; use last_prompt positions');
  return Math.min(n, ids.length);
}

/** Mean of rows [from, to) of each layer's [seq * d] block, into out[l*d ...]. */
function meanRows(res: Float32Array[], d: number, from: number, to: number, out: Float32Array): void {
  res.forEach((block, l) => {
    const acc = new Float64Array(d);
    for (let s = from; s < to; s++) for (let i = 0; i < d; i++) acc[i] += block[s * d + i];
    for (let i = 0; i < d; i++) out[l * d + i] = acc[i] / (to - from);
  });
}

export interface RuleOptions {
  /** For response_mean: how to generate the responses (default greedy, 32 new tokens). */
  decoding?: DecodingOptions;
  signal?: AbortSignal;
}

export const DEFAULT_RESPONSE_DECODING: DecodingOptions = { maxNewTokens: DEFAULT_MAX_NEW_TOKENS };

/**
 * Activation vectors of a batch of prompts. For response_mean the batch generates together
 * (traceBatch); a row whose response is empty yields undefined (nothing to average).
 */
export async function activationsAt(model: LensModel, prompts: PromptInput[], rule: PositionRule, o: RuleOptions = {}): Promise<(Float32Array | undefined)[]> {
  const { layers: L, dModel: d } = model.summary;
  const out: (Float32Array | undefined)[] = [];
  if (rule === 'response_mean') {
    const decoding = o.decoding ?? DEFAULT_RESPONSE_DECODING;
    const traces = await model.traceBatch(prompts.map((prompt) => ({ prompt, axes: [], interventions: [], decoding })), o.signal ? { signal: o.signal } : {});
    for (const t of traces) {
      const ids = t.tokens.map((x) => x.id);
      const first = t.tokens.findIndex((x) => x.generated);
      if (first < 0) {
        out.push(undefined);
        continue;
      }
      const res = await model.residuals({ kind: 'tokens', tokenIds: ids });
      const v = new Float32Array(L * d);
      meanRows(res, d, first, ids.length, v);
      out.push(v);
    }
    return out;
  }
  for (const prompt of prompts) {
    const res = await model.residuals(prompt);
    const seq = res[0].length / d;
    const k = rule === 'last_prompt' ? 1 : postInstructionLength(model, prompt);
    const v = new Float32Array(L * d);
    meanRows(res, d, seq - k, seq, v);
    out.push(v);
  }
  return out;
}

/**
 * Block outputs at each of the last `k` prompt positions (offset −k … −1), for candidate
 * directions per position: result[j] is position −(k−j), [nLayers * dModel].
 */
export async function lastPositions(model: LensModel, prompt: PromptInput, k: number): Promise<Float32Array[]> {
  const { layers: L, dModel: d } = model.summary;
  const res = await model.residuals(prompt);
  const seq = res[0].length / d;
  if (k > seq) throw new Error(`asked for the last ${k} positions of a ${seq}-token prompt`);
  return Array.from({ length: k }, (_, j) => {
    const v = new Float32Array(L * d);
    meanRows(res, d, seq - k + j, seq - k + j + 1, v);
    return v;
  });
}
