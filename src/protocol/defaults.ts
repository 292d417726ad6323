// Steering defaults shared by the palette (Steer…), the inspector form, demo and the examples:
// one default, in norm units (src/protocol/reference.ts: c × the layer's mean residual norm on the
// reference set, so it means the same on any model). On the built-in organism (v4.1),
// bench/steer-range.ts measures 0.2n–0.3n at the prompt's positions as the specific range (persona
// steering flips refusal, its norm-matched random control neither flips it nor breaks the text;
// at 0.5n the control already costs a tenth of the refusals, at 1n it breaks the text) and
// test/integration/steer-range.test.ts checks the default there. At all positions even small
// coefficients repeat "Certainly…" (degenerate), so a new steer applies to the prompt.
import type { Positions } from './types';
import { DEFAULT_NORM_COEFFICIENT, NORM_SUFFIX, type CoefficientUnit } from './reference';

/** The coefficient every steer form starts from, in `DEFAULT_STEER_UNIT`. */
export const DEFAULT_STEER_COEFFICIENT = DEFAULT_NORM_COEFFICIENT;
export const DEFAULT_STEER_UNIT: CoefficientUnit = 'norm';
/** The same as a user types it ("0.3n"). */
export const DEFAULT_STEER_TEXT = `${DEFAULT_STEER_COEFFICIENT}${NORM_SUFFIX}`;
/** Where a new steer applies unless the user says otherwise. */
export const DEFAULT_STEER_POSITIONS: Positions = 'prompt';
/**
 * The coefficient slider's half-range in norm units (1n = one mean residual norm, far past the
 * specific range); the text field beside it takes any value, raw or norm.
 */
export const COEFFICIENT_SLIDER_SPAN = 1;
/** The slider's step: fine enough for the specific range around the default. */
export const COEFFICIENT_SLIDER_STEP = 0.05;
/** An intervention change reruns the shown prompt after this quiet time (ms), so a burst of edits runs once. */
export const RERUN_DEBOUNCE_MS = 400;
