// The model-based degenerate check's two passes (labels/likelihood.ts says why): teacher-forced
// log-probabilities of given responses under the model without interventions, and the model's
// reference, calibrated on its own unsteered greedy answers to a fixed set of ordinary requests.
// Both run on the hooked graph with zero hook feeds, so no second session is opened.

import { calibrateLikelihood, LIKELIHOOD_REFERENCE_PROMPTS, LIKELIHOOD_REFERENCE_TOKENS } from '../labels/index.js';
import type { LoadedModel } from '../model/load.js';
import type { Feeds } from '../runtime.js';
import { generateLoop } from './loop.js';
import { checkContext, checkTokenIds } from './validate.js';

export interface LikelihoodContext {
  loaded: LoadedModel;
  padId: number;
  /** zero-intervention rl.* feeds */
  feeds: { prompt: Feeds; generated: Feeds };
}

/** Per-token log-probabilities (nats) of each response after its prompt; [] for an empty response. */
export async function forcedLogProbs(ctx: LikelihoodContext, pairs: { prompt: number[]; response: number[] }[]): Promise<number[][]> {
  const c = ctx.loaded.config;
  const out: number[][] = pairs.map(() => []);
  const todo = pairs.map((p, i) => ({ ...p, i })).filter((p) => p.response.length > 0);
  for (const p of todo) {
    checkTokenIds(p.prompt, c.vocabSize, `pairs[${p.i}].prompt`);
    checkTokenIds(p.response, c.vocabSize, `pairs[${p.i}].response`);
    checkContext(p.prompt.length, p.response.length, c.maxPositions, `pairs[${p.i}].prompt`);
  }
  // One batch, or one per prompt length where the graph cannot take left padding.
  const groups = new Map<number, typeof todo>();
  for (const p of todo) {
    const key = ctx.loaded.paddingUnsafeOps.length ? p.prompt.length : 0;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const g of groups.values()) {
    const res = await generateLoop(
      g.map((p) => ({ ids: p.prompt, decoding: { maxNewTokens: p.response.length, stopAtEos: false }, forced: p.response })),
      { graph: ctx.loaded.hooked, eosIds: c.eosIds, padId: ctx.padId, hookFeeds: ctx.feeds, nAxes: 0 },
    );
    g.forEach((p, row) => (out[p.i] = res.rows[row]!.forcedLogProbs ?? []));
  }
  return out;
}

/** calibrateLikelihood over the model's own greedy answers to LIKELIHOOD_REFERENCE_PROMPTS (no system prompt). */
export async function calibrateReference(ctx: LikelihoodContext): Promise<number> {
  const c = ctx.loaded.config;
  const prompts = LIKELIHOOD_REFERENCE_PROMPTS.map((p) => ctx.loaded.tokenizer.encodePrompt({ kind: 'chat', messages: [{ role: 'user', content: p }] }));
  const n = Math.max(1, Math.min(LIKELIHOOD_REFERENCE_TOKENS, c.maxPositions - Math.max(...prompts.map((p) => p.length))));
  const batches = ctx.loaded.paddingUnsafeOps.length ? prompts.map((p) => [p]) : [prompts];
  const answers: number[][] = [];
  for (const b of batches) {
    const res = await generateLoop(b.map((ids) => ({ ids, decoding: { maxNewTokens: n } })), {
      graph: ctx.loaded.hooked, eosIds: c.eosIds, padId: ctx.padId, hookFeeds: ctx.feeds, nAxes: 0,
    });
    answers.push(...res.rows.map((r) => r.generated));
  }
  return calibrateLikelihood(await forcedLogProbs(ctx, prompts.map((prompt, i) => ({ prompt, response: answers[i]! }))));
}

/** `word` encodes to one token, alone or after a space (memoised in `cache`). */
export function vocabWord(tok: { encodeText(s: string): number[] }, word: string, cache?: Map<string, boolean>): boolean {
  const hit = cache?.get(word);
  if (hit !== undefined) return hit;
  const ok = tok.encodeText(word).length === 1 || tok.encodeText(` ${word}`).length === 1;
  if (cache && cache.size < 100_000) cache.set(word, ok);
  return ok;
}
