// The one default for how many tokens a run generates when neither the command line, the prompt
// file nor a setting says: CLI trace, demo, annotate and extract (response_mean), the extension's
// `refusalLens.decoding.maxNewTokens` default (package.json, checked by a test), and the example
// and model-card condition files. 48 holds the built-in model's longest answer with its
// end-of-turn, so "no end-of-turn" (a degenerate sign) means a runaway, not a short budget.
export const DEFAULT_MAX_NEW_TOKENS = 48;
