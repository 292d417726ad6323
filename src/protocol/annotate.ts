// What `annotate` records per dataset row, one list for the engine (src/engine/experiments/annotate.ts),
// the CLI's --positions, the worker's request check, the extension's setting and package.json
// (test/unit/extension-manifest.test.ts compares the manifest's enum and defaults with these).
// No runtime dependencies.

/**
 * Where a row's projection is read: the last prompt token, the mean over the post-instruction
 * template tokens, over the prompt, or over the response.
 */
export const ANNOTATE_POSITIONS = ['last_prompt', 'post_instruction', 'prompt_mean', 'response_mean'] as const;
export type AnnotatePosition = (typeof ANNOTATE_POSITIONS)[number];

/** The positions recorded when none are asked for. */
export const DEFAULT_ANNOTATE_POSITIONS: readonly AnnotatePosition[] = ['last_prompt', 'response_mean'];

/** Prompts per batch by default: batch 32 annotated 3.8× faster than batch 1 on the built-in model, batch 8 only 2.6× (BENCHMARKS.md). */
export const DEFAULT_ANNOTATE_BATCH = 32;

export function isAnnotatePosition(x: unknown): x is AnnotatePosition {
  return typeof x === 'string' && (ANNOTATE_POSITIONS as readonly string[]).includes(x);
}
