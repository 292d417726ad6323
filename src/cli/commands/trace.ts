// refusal-lens trace: one prompt through the hooked model, with readouts (projections, and the
// logit lens on request), steering, projection-out and capping; `--json` prints the stable
// TraceResult schema (docs/trace-json.md), trace/2, or trace/1 with `--schema 1`.
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, list, num, str, UsageError } from '../args';
import { RANDOM_CONTROL_OPTION, withRandomControls } from '../random-control';
import { REFERENCE_OPTION, referenceFromArgs } from '../reference';
import { roundedIntervention } from '../../engine/directions/resolve';
import { MODEL_OPTIONS, PROMPT_OPTIONS, STRICT_OPTION, Warnings, openAxes, openModel, promptFromArgs, readPromptFile } from '../load';
import { describeIntervention, interventionOptions, interventionsFromArgs } from '../interventions';
import { renderAxis, profileLine } from '../heatmap';
import { lastPromptIndex } from '../../engine/report/html';
import { promptSystem, renderWarnings } from '../../engine/directions/index';
import type { DecodingOptions, Intervention, TraceResult } from '../../protocol/types';
import { traceJson } from '../../protocol/readouts';
import { LENS_OPTIONS, lensFromArgs, renderLens } from '../lens';
import { DEFAULT_MAX_NEW_TOKENS } from '../../protocol/decoding';

export const traceCommand: Command = {
  name: 'trace',
  summary: 'Run one prompt through the hooked model: response, label, and axis projections per layer and token.',
  usage: '[model-folder] (--prompt FILE | --text TEXT [--system S] | --token-ids IDS) [options]',
  options: [
    ...MODEL_OPTIONS,
    ...PROMPT_OPTIONS,
    ...interventionOptions((ex) => `, e.g. ${ex}`),
    RANDOM_CONTROL_OPTION,
    REFERENCE_OPTION,
    { name: 'max-new-tokens', kind: 'number', short: 'n', description: `tokens to generate (default: the prompt file's, else ${DEFAULT_MAX_NEW_TOKENS})` },
    { name: 'temperature', kind: 'number', description: 'sampling temperature (0 = greedy)' },
    { name: 'seed', kind: 'number', description: 'sampling seed' },
    ...LENS_OPTIONS,
    { name: 'json', kind: 'boolean', description: 'print the TraceResult as JSON (schema refusal-lens.trace/2)' },
    { name: 'schema', kind: 'number', description: 'with --json: 2 (default) or 1, the older form with top-level projections and no other readouts' },
    { name: 'no-color', kind: 'boolean', description: 'no ANSI colours in the layer × token view' },
    STRICT_OPTION,
  ],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected arguments: ${args.positionals.slice(1).join(' ')}`);
    const promptFile = str(args, 'prompt');
    const schema = num(args, 'schema') ?? 2;
    if (schema !== 1 && schema !== 2) throw new UsageError(`--schema must be 1 or 2, got ${schema}`);
    const warnings = Warnings.from(args, io);
    // Read once before the model (for its `model` field); warnings are reported by the final read.
    const early = promptFile ? readPromptFile(path.resolve(promptFile)) : undefined;
    const model = await openModel(args, early && promptFile ? { model: early.model, dir: path.dirname(path.resolve(promptFile)) } : undefined, io);
    try {
      const L = model.summary.layers;
      const prompt = promptFromArgs(args, L, warnings);
      const fromFile = prompt.file?.parsed;
      const opened = await openAxes(model, list(args, 'axis'), fromFile?.axes, prompt.file ? path.dirname(prompt.file.path) : '.', warnings);
      for (const a of opened) for (const w of renderWarnings(a, { systemPrompt: promptSystem(prompt.input) })) warnings.add(w);
      const axes = withRandomControls(opened, list(args, 'random-control'));
      const interventions: Intervention[] = [
        ...(fromFile?.interventions ?? []).map(({ layerSpec: _spec, ...iv }) => iv as Intervention),
        ...interventionsFromArgs(args, L),
      ];
      warnings.check();
      const decoding: DecodingOptions = { maxNewTokens: DEFAULT_MAX_NEW_TOKENS, ...(fromFile?.decoding ?? {}) };
      const n = num(args, 'max-new-tokens');
      if (n !== undefined) decoding.maxNewTokens = n;
      const temp = num(args, 'temperature');
      if (temp !== undefined) decoding.temperature = temp;
      const seed = num(args, 'seed');
      if (seed !== undefined) decoding.seed = seed;
      const reference = referenceFromArgs(args, fromFile?.reference !== undefined && prompt.file ? { name: fromFile.reference, dir: path.dirname(prompt.file.path) } : undefined);
      const logitLens = lensFromArgs(args, fromFile?.logitLens);
      if (logitLens && schema === 1 && bool(args, 'json')) throw new UsageError('--schema 1 has no place for the logit lens: use schema 2 (the default)');
      const result = await model.trace({ prompt: prompt.input, axes, interventions, decoding, ...(reference ? { reference } : {}), ...(logitLens ? { logitLens } : {}) }, { signal: io.signal });
      // The text view shows warnings in place; with --json they go to stderr too, where a person sees them.
      if (bool(args, 'json')) for (const w of result.warnings ?? []) io.err(`warning: ${w}\n`);
      if (bool(args, 'json')) io.out(JSON.stringify(traceJson(result, schema)) + '\n');
      else io.out(summarize(result, io.color && !bool(args, 'no-color')) + '\n');
      return 0;
    } finally {
      await model.dispose();
    }
  },
};

/** The readable form: response, label, interventions, profile at the last prompt token, heatmaps. */
export function summarize(t: TraceResult, color: boolean): string {
  const lines: string[] = [];
  const m = t.model;
  lines.push(`model     ${m.name} (${m.modelType}, ${m.layers} layers, d_model ${m.dModel}, ${m.dtype})`);
  lines.push(`tokens    ${t.tokens.filter((x) => !x.generated).length} prompt + ${t.tokens.filter((x) => x.generated).length} generated`);
  lines.push(`interv.   ${t.interventions.length ? t.interventions.map(describeIntervention).join('; ') : 'none'}`);
  if (t.resolvedInterventions) lines.push(`resolved  ${t.resolvedInterventions.map((iv) => describeIntervention(roundedIntervention(iv))).join('; ')}  (on ${t.reference?.set ?? 'the reference set'})`);
  for (const w of t.warnings ?? []) lines.push(`warning   ${w}`);
  lines.push(`label     ${t.label.label.toUpperCase()}  refusal score ${t.label.refusalScore.toFixed(2)}${t.label.matched ? `  (matched "${t.label.matched}")` : ''}${t.label.reason ? `  (${t.label.reason}${t.label.detail ? `: ${t.label.detail}` : ''})` : ''}`);
  if (t.label.meanLogProb !== undefined) {
    lines.push(`fluency   mean log-prob ${t.label.meanLogProb.toFixed(2)} per token under the unsteered model (reference ${t.label.logProbReference?.toFixed(2) ?? '?'})${t.label.ended === false ? ', no end-of-turn' : ''}`);
  }
  lines.push(`response  ${JSON.stringify(t.response)}`);
  if (t.axes.length) {
    const lp = lastPromptIndex(t);
    lines.push('', `projection r·v̂ per layer at the last prompt token (${JSON.stringify(t.tokens[lp]?.text ?? '')}):`, profileLine(t, lp));
    for (let a = 0; a < t.axes.length; a++) lines.push('', renderAxis(t, a, { color }));
  }
  if (t.readouts.logitLens) lines.push('', renderLens(t.readouts.logitLens, t.tokens, t.layers));
  const tm = t.timings;
  lines.push('', `time      ${tm.totalMs.toFixed(0)} ms (prefill ${tm.prefillMs.toFixed(0)} ms, decode ${tm.decodeMs.toFixed(0)} ms, ${tm.decodeTokensPerSecond.toFixed(1)} tok/s)`);
  return lines.join('\n');
}
