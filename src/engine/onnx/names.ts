// The hooked graph's rl.* value names: the one place they are spelled (docs/ARCHITECTURE.md,
// "The hooked graph"). The rewrite declares them, the engine feeds and fetches them.

/** Per-layer inputs and outputs of the rewrite at block output `l`. */
export const hookNames = (l: number) => ({
  inputNames: {
    add: `rl.add.${l}`, proj: `rl.proj.${l}`, projT: `rl.projT.${l}`,
    capU: `rl.capU.${l}`, capUT: `rl.capUT.${l}`, capLo: `rl.capLo.${l}`, capHi: `rl.capHi.${l}`, axesT: `rl.axesT.${l}`,
  },
  outputNames: { read: `rl.read.${l}`, resid: `rl.resid.${l}` },
  /** logit lens at layer l: top-k probabilities [B, P, k], their token ids [B, P, k] (int64), refusal-start probability [B, P, 1] */
  lensNames: { topProbs: `rl.lens.topv.${l}`, topIds: `rl.lens.topi.${l}`, refusal: `rl.lens.refusal.${l}` },
});

export type HookNames = ReturnType<typeof hookNames>;

/** Graph-wide logit-lens inputs (int64): run positions to read (Gather indices on the seq axis), k, refusal-start token ids. */
export const LENS_INPUTS = { positions: 'rl.lens.pos', k: 'rl.lens.k', refusalIds: 'rl.lens.ids' } as const;

/** The last-position Slice on the lm_head input and its int64 initializers. */
export const LAST_POSITION = 'rl.last_position';
