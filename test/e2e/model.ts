// The model the end-to-end tests run: the built-in model organism with its shipped axes, as a
// user without settings gets it. The reference runs use the engine in-process.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadDirection, loadModel } from '../../src/engine/index';
import { parsePromptFile, toPromptInput } from '../../src/engine/prompts/index';
import type { DecodingOptions, Intervention, PromptInput, TraceResult } from '../../src/protocol/types';
import { ROOT } from './codeServer';

export interface E2eModel {
  folder: string;
  axisFiles: string[];
  axisNames: string[];
  /** The axis the test projects out. */
  projectAxis: string;
  /** The axis the test steers along. */
  steerAxis: string;
  /** Settings the editor needs to use this model (none for the built-in one). */
  settings: Record<string, unknown>;
}

export async function chooseModel(): Promise<E2eModel> {
  const organism = path.join(ROOT, 'media', 'models', 'organism');
  const axesDir = path.join(organism, 'axes');
  if (!existsSync(path.join(organism, 'config.json')) || !existsSync(axesDir)) {
    throw new Error(`the built-in model or its axes are missing under ${organism} (see tools/organism/README.md)`);
  }
  const axisFiles = readdirSync(axesDir).filter((f) => f.endsWith('.safetensors')).sort().map((f) => path.join(axesDir, f));
  const axisNames: string[] = [];
  for (const f of axisFiles) axisNames.push((await loadDirection(f)).name);
  const projectAxis = axisNames.includes('refusal') ? 'refusal' : axisNames[0]!;
  const steerAxis = axisNames.includes('persona') ? 'persona' : axisNames.find((n) => n !== projectAxis) ?? projectAxis;
  return { folder: organism, axisFiles, axisNames, projectAxis, steerAxis, settings: {} };
}

/** The prompt and decoding the extension will use for `file` (prompt file decoding over the setting). */
export function promptOf(text: string, maxNewTokensSetting: number): { prompt: PromptInput; decoding: DecodingOptions } {
  const parsed = parsePromptFile(text, 'e2e');
  if (!parsed.prompt) throw new Error(`sample prompt file does not parse: ${JSON.stringify(parsed.diagnostics)}`);
  return { prompt: toPromptInput(parsed.prompt), decoding: { maxNewTokens: maxNewTokensSetting, ...parsed.prompt.decoding } };
}

/** The engine called directly, as the worker would: all axes read out, in file order. */
export async function referenceRuns(m: E2eModel, prompt: PromptInput, decoding: DecodingOptions, variants: Intervention[][]): Promise<TraceResult[]> {
  const model = await loadModel(m.folder);
  try {
    const axes = [];
    for (const f of m.axisFiles) axes.push(await loadDirection(f, model));
    const out: TraceResult[] = [];
    for (const interventions of variants) out.push(await model.trace({ prompt, axes, interventions, decoding }));
    return out;
  } finally {
    await model.dispose();
  }
}
