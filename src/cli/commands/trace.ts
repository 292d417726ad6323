// refusal-lens trace: one prompt through the hooked model, with readouts, steering and
// projection-out; `--json` prints the stable TraceResult schema (docs/trace-json.md).
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, list, num, str, UsageError } from '../args';
import { RANDOM_CONTROL_OPTION, withRandomControls } from '../random-control';
import { MODEL_OPTIONS, PROMPT_OPTIONS, STRICT_OPTION, Warnings, openAxes, openModel, promptFromArgs, readPromptFile } from '../load';
import { parseCap, parseProjectOut, parseSteer, describeIntervention } from '../interventions';
import { renderAxis, profileLine } from '../heatmap';
import { lastPromptIndex } from '../../engine/report/html';
import { promptSystem, renderWarnings } from '../../engine/directions/index';
import type { DecodingOptions, Intervention, TraceResult } from '../../protocol/types';
import { DEFAULT_MAX_NEW_TOKENS } from '../../protocol/decoding';

export const traceCommand: Command = {
  name: 'trace',
  summary: 'Run one prompt through the hooked model: response, label, and axis projections per layer and token.',
  usage: '[model-folder] (--prompt FILE | --text TEXT [--system S] | --token-ids IDS) [options]',
  options: [
    ...MODEL_OPTIONS,
    ...PROMPT_OPTIONS,
    { name: 'steer', kind: 'list', description: 'AXIS:COEF:LAYERS[:POSITIONS][@SOURCE], e.g. persona:4:2-5' },
    { name: 'project-out', kind: 'list', description: 'AXIS[,AXIS]:LAYERS[:POSITIONS][@SOURCE], e.g. persona:3-5' },
    { name: 'cap', kind: 'list', description: 'AXIS:LO:HI:LAYERS[:POSITIONS][@SOURCE], e.g. persona::0:4-5 (empty LO or HI = open)' },
    RANDOM_CONTROL_OPTION,
    { name: 'max-new-tokens', kind: 'number', short: 'n', description: `tokens to generate (default: the prompt file's, else ${DEFAULT_MAX_NEW_TOKENS})` },
    { name: 'temperature', kind: 'number', description: 'sampling temperature (0 = greedy)' },
    { name: 'seed', kind: 'number', description: 'sampling seed' },
    { name: 'json', kind: 'boolean', description: 'print the TraceResult as JSON' },
    { name: 'no-color', kind: 'boolean', description: 'no ANSI colours in the layer × token view' },
    STRICT_OPTION,
  ],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected arguments: ${args.positionals.slice(1).join(' ')}`);
    const promptFile = str(args, 'prompt');
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
        ...list(args, 'steer').map((s) => parseSteer(s, L)),
        ...list(args, 'project-out').map((s) => parseProjectOut(s, L)),
        ...list(args, 'cap').map((s) => parseCap(s, L)),
      ];
      warnings.check();
      const decoding: DecodingOptions = { maxNewTokens: DEFAULT_MAX_NEW_TOKENS, ...(fromFile?.decoding ?? {}) };
      const n = num(args, 'max-new-tokens');
      if (n !== undefined) decoding.maxNewTokens = n;
      const temp = num(args, 'temperature');
      if (temp !== undefined) decoding.temperature = temp;
      const seed = num(args, 'seed');
      if (seed !== undefined) decoding.seed = seed;
      const result = await model.trace({ prompt: prompt.input, axes, interventions, decoding }, { signal: io.signal });
      if (bool(args, 'json')) io.out(JSON.stringify(result) + '\n');
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
  const tm = t.timings;
  lines.push('', `time      ${tm.totalMs.toFixed(0)} ms (prefill ${tm.prefillMs.toFixed(0)} ms, decode ${tm.decodeMs.toFixed(0)} ms, ${tm.decodeTokensPerSecond.toFixed(1)} tok/s)`);
  return lines.join('\n');
}
