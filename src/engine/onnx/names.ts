// The hooked graph's rl.* value names: the one place they are spelled (docs/ARCHITECTURE.md,
// "The hooked graph"). The rewrite declares them, the engine feeds and fetches them.

/** Per-layer inputs and outputs of the rewrite at block output `l`. */
export const hookNames = (l: number) => ({
  inputNames: {
    add: `rl.add.${l}`, proj: `rl.proj.${l}`, projT: `rl.projT.${l}`,
    capU: `rl.capU.${l}`, capUT: `rl.capUT.${l}`, capLo: `rl.capLo.${l}`, capHi: `rl.capHi.${l}`, axesT: `rl.axesT.${l}`,
  },
  outputNames: { read: `rl.read.${l}`, resid: `rl.resid.${l}` },
});

export type HookNames = ReturnType<typeof hookNames>;

/**
 * Graph-wide logit-lens inputs (int64): run positions to read (Gather indices on the seq axis), k,
 * refusal-start token ids, and padding rows (positions of the last layer appended after the
 * L·P rows, read by nobody: [-1] where a device cannot run a kernel on an empty tensor).
 */
export const LENS_INPUTS = { positions: 'rl.lens.pos', k: 'rl.lens.k', refusalIds: 'rl.lens.ids', pad: 'rl.lens.pad' } as const;

/**
 * Graph-wide logit-lens outputs, rows layer-major (row l·P + p = layer l, position p; then the
 * padding rows): top-k probabilities [B, L·P + R, k], their token ids (int64), refusal-start
 * probability [B, L·P + R, 1].
 */
export const LENS_OUTPUTS = { topProbs: 'rl.lens.topv', topIds: 'rl.lens.topi', refusal: 'rl.lens.refusal' } as const;

/** The last-position Slice on the lm_head input and its int64 initializers. */
export const LAST_POSITION = 'rl.last_position';
