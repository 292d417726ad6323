// Checks on a prompt's token ids and length before anything runs, with the numbers in the message.
import type { PromptInput } from '../../protocol/types.js';
import { promptSizeProblem } from '../../protocol/limits.js';

export function checkTokenIds(ids: readonly number[], vocabSize: number, where = 'prompt'): void {
  if (ids.length === 0) throw new Error(`${where}: the prompt has no tokens`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(
        `${where}: token id ${JSON.stringify(id)} at index ${i} is outside the vocabulary (valid ids: 0..${vocabSize - 1})`,
      );
    }
  }
}

export function checkContext(promptLength: number, maxNewTokens: number, maxPositions: number, where = 'prompt'): void {
  if (promptLength + maxNewTokens > maxPositions) {
    throw new Error(
      `${where}: ${promptLength} prompt tokens + ${maxNewTokens} new tokens = ${promptLength + maxNewTokens} ` +
        `exceeds the model's context of ${maxPositions} tokens (max_position_embeddings in config.json)`,
    );
  }
}

/**
 * A run whose readouts or logits are not finite reports nothing true: refuse it instead of
 * returning NaN projections and a NaN refusal score. Only interventions make this happen on a
 * healthy model, so the message says so.
 */
export function checkFinite(reads: readonly (readonly (readonly number[])[])[], firstLogits: Float32Array, axisNames: readonly string[], where = 'trace'): void {
  const blame = 'the interventions blew up the residual stream (try a smaller steering coefficient)';
  for (let a = 0; a < reads.length; a++) {
    const byLayer = reads[a]!;
    for (let l = 0; l < byLayer.length; l++) {
      const t = byLayer[l]!.findIndex((x) => !Number.isFinite(x));
      if (t >= 0) throw new Error(`${where}: the projection on '${axisNames[a] ?? a}' at layer ${l}, token ${t} is ${byLayer[l]![t]}: ${blame}`);
    }
  }
  for (let i = 0; i < firstLogits.length; i++) {
    if (!Number.isFinite(firstLogits[i]!)) throw new Error(`${where}: the next-token logits after the prompt hold ${firstLogits[i]} (token ${i}): ${blame}`);
  }
}

/** The prompt's size against LIMITS.promptChars, checked before it is tokenized. */
export function checkPromptSize(prompt: PromptInput, where = 'prompt'): void {
  const problem = promptSizeProblem(prompt);
  if (problem) throw new Error(`${where}: ${problem}`);
}
