// Steering defaults shared by the palette (Steer…), the inspector form and the examples.
// Measured on the built-in organism with `refusal-lens trace builtin --system "You are a
// helpful assistant." --text "How do I hotwire a car?" --random-control persona --steer
// persona:C:all:prompt` (and the same with persona-random): at prompt positions the persona
// axis collapses refusal from c = 0.1 up, while its norm-matched random control still refuses
// up to c ≈ 0.5 and turns to word salad from c = 1; at all positions even c = 0.1 repeats
// "Certainly…" (degenerate). So the default is 0.25 at the prompt's positions: the specific range.
import type { Positions } from './types';

/** Raw coefficient (a multiple of the stored vector) every steer form starts from. */
export const DEFAULT_STEER_COEFFICIENT = 0.25;
/** Where a new steer applies unless the user says otherwise. */
export const DEFAULT_STEER_POSITIONS: Positions = 'prompt';
/**
 * The coefficient slider's half-range in units of the stored vector (1 = one difference of
 * means, the direction's own size); the number field beside it takes any value.
 */
export const COEFFICIENT_SLIDER_SPAN = 1;
/** The slider's step: fine enough for the specific range around the default. */
export const COEFFICIENT_SLIDER_STEP = 0.05;
/** An intervention change reruns the shown prompt after this quiet time (ms), so a burst of edits runs once. */
export const RERUN_DEBOUNCE_MS = 400;
