// Labels (refusal / bypass / degenerate) and the logit-based refusal score.
export { label, findRefusalPhrase, type LabelOptions, type LabelEvidence } from './label';
export { calibrateLikelihood, meanLogProb, DEFAULT_MARGINS, type LikelihoodMargins } from './likelihood';
export { textDefects, type Defect, type TextCheckOptions } from './textchecks';
export { degenerateReason, type DegenerateOptions, type DegenerateReason } from './degenerate';
export { normalizeForMatch } from './normalize';
export { DEFAULT_REFUSAL_PHRASES } from './phrases';
export { refusalScore, refusalStartTokens } from './score';
export { LIKELIHOOD_REFERENCE_PROMPTS, LIKELIHOOD_REFERENCE_TOKENS } from './reference';
