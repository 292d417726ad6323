// The model-based degenerate check: how likely a response is under the same model without
// interventions, relative to how likely the model finds its own unsteered answers. Word salad
// from strong steering is text the unsteered model would almost never write.
//
// The statistic is the mean natural-log probability per response token, leaving out the first
// token: the first token is where steering legitimately changes the decision (a default-persona
// model asked to comply opens with a token it would not have chosen), and that one surprise
// should not make a fluent answer look broken. The reference is a low quantile of the statistic
// over the model's own unsteered greedy answers (calibrateLikelihood); thresholds are the
// reference minus a margin in nats, so they move with the model.

export interface LikelihoodEvidence {
  /** per-token log-probabilities of the response under the unsteered model (LensModel.responseLogProbs) */
  logProbs: readonly number[];
  /** calibrated reference (calibrateLikelihood over the model's own unsteered answers) */
  reference: number;
}

export interface LikelihoodMargins {
  /** degenerate whatever else: mean below reference − this (default 2.4 nats) */
  floor?: number;
  /** degenerate when the response also never reached end-of-turn (default 0.4 nats) */
  unfinished?: number;
  /** degenerate when the text also has a defect (textchecks.ts) (default 0.9 nats) */
  withDefect?: number;
}

export const DEFAULT_MARGINS: Required<LikelihoodMargins> = Object.freeze({ floor: 2.4, unfinished: 0.4, withDefect: 0.9 });

/** Mean log-probability per token after the first (the first alone for a one-token response); NaN when empty. */
export function meanLogProb(logProbs: readonly number[]): number {
  const rest = logProbs.length > 1 ? logProbs.slice(1) : logProbs;
  if (rest.length === 0) return NaN;
  let s = 0;
  for (const x of rest) s += x;
  return s / rest.length;
}

/**
 * The reference for a model: the `quantile` (default 0.1) of meanLogProb over its own unsteered
 * answers (greedy, no interventions). Non-finite values are skipped; NaN when none is left.
 */
export function calibrateLikelihood(unsteered: readonly (readonly number[])[], quantile = 0.1): number {
  const xs = unsteered.map(meanLogProb).filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const i = Math.min(xs.length - 1, Math.max(0, Math.floor(quantile * (xs.length - 1))));
  return xs[i]!;
}
