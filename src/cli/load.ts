// Shared by the CLI commands: resolving the model, its axes and a prompt from options.
import * as path from 'node:path';
import type { ParsedArgs, OptionSpec } from './args';
import { UsageError, bool, list, num, str } from './args';
import type { CliIO } from './command';
import { loadModel, loadDirection, chatTemplateSha256, renderWarnings, type LensModel, type Direction } from '../engine/index';
import { resolveRunTarget } from '../engine/run-target';
import { parsePromptFile, toPromptInput, type ParsedPrompt } from '../engine/prompts/index';
import type { ChatMessage, PromptInput } from '../protocol/types';
import { FileReadError, readBoundedText } from '../engine/io/read';
import { LIMITS } from '../protocol/limits';
import { progressPrinter } from './commands/experiments-shared';
import { DEVICES, isDeviceSetting } from '../protocol/device';
import { CHECKPOINT_DTYPES, ONNX_DTYPES, QUANT_SCOPES, type QuantScope } from '../protocol/dtypes';
import { DEFAULT_QUANT_SCOPE } from '../engine/checkpoint/index';

export const MODEL_OPTIONS: OptionSpec[] = [
  { name: 'model', kind: 'string', short: 'm', description: "model folder (onnx-community layout, or a safetensors checkpoint) or 'builtin'" },
  {
    name: 'dtype', kind: 'string', default: 'auto',
    description: `ONNX export: the graph variant (${ONNX_DTYPES.join(', ')}); safetensors checkpoint: what it is built in (${CHECKPOINT_DTYPES.join(', ')}); auto: fp32 on the CPU, fp16 then q4f16 where present on a GPU`,
  },
  { name: 'quantize', kind: 'string', description: `checkpoint at q8/q4: which weights are quantised: ${QUANT_SCOPES.join(', ')} (default ${DEFAULT_QUANT_SCOPE})` },
  { name: 'device', kind: 'string', description: `where the graphs run: ${DEVICES.join(', ')} (auto: the platform's GPU when one starts, else the CPU; README "Devices")`, default: 'auto' },
  { name: 'threads', kind: 'number', description: `ONNX Runtime intra-op threads (0 = its default; at most ${LIMITS.threads})` },
  { name: 'cache-dir', kind: 'string', description: 'folder for built checkpoint graphs, and for hooked graphs when the model folder is read-only (default: beside the checkpoint if writable, else the user cache, e.g. ~/.cache/refusal-lens)' },
  { name: 'axis', kind: 'list', short: 'a', description: "direction file (.safetensors); repeatable; default: the model folder's axes/" },
];

/** --strict, for commands that read prompt, condition or direction files. */
export const STRICT_OPTION: OptionSpec = {
  name: 'strict',
  kind: 'boolean',
  description: 'treat warnings (unknown prompt-file fields, an axis computed on another graph) as errors',
};

/**
 * Warnings found while reading inputs: printed on stderr as they come; under --strict,
 * `check()` then fails the command before anything runs.
 */
export class Warnings {
  private count = 0;
  constructor(
    private readonly io: Pick<CliIO, 'err'>,
    readonly strict: boolean,
  ) {}
  static from(args: ParsedArgs, io: Pick<CliIO, 'err'>): Warnings {
    return new Warnings(io, bool(args, 'strict'));
  }
  add(message: string): void {
    this.count++;
    this.io.err(`warning: ${message}\n`);
  }
  check(): void {
    if (this.strict && this.count) throw new Error(`--strict: ${this.count} warning${this.count > 1 ? 's' : ''} above; fix ${this.count > 1 ? 'them' : 'it'} or run without --strict`);
  }
}

/**
 * The model of --model (or the first positional, or the prompt file's `model`). With `io`, a
 * checkpoint build shows a progress line with an ETA on stderr and Ctrl-C cancels it.
 */
export async function openModel(args: ParsedArgs, fromPrompt?: { model?: string; dir: string }, io?: Pick<CliIO, 'err' | 'signal'>): Promise<LensModel> {
  const spec = str(args, 'model') ?? args.positionals[0];
  // The same order as the editor (src/engine/run-target.ts): --model, then the prompt file's model, then built-in.
  const { folder } = resolveRunTarget({
    explicit: spec ? { model: spec === 'builtin' ? 'builtin' : path.resolve(spec) } : {},
    ...(fromPrompt ? { prompt: { ...(fromPrompt.model ? { model: fromPrompt.model } : {}), dir: fromPrompt.dir } } : {}),
  });
  const threads = num(args, 'threads');
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0 && threads <= LIMITS.threads)) {
    throw new UsageError(`--threads must be an integer from 0 to ${LIMITS.threads}, got ${threads}`);
  }
  const device = str(args, 'device') ?? 'auto';
  if (!isDeviceSetting(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${device}'`);
  const cacheDir = str(args, 'cache-dir');
  if (cacheDir !== undefined && cacheDir.trim() === '') throw new UsageError('--cache-dir is empty: give a folder');
  const dtype = str(args, 'dtype');
  const quantize = str(args, 'quantize');
  if (quantize !== undefined) {
    if (!(QUANT_SCOPES as readonly string[]).includes(quantize)) throw new UsageError(`--quantize must be one of ${QUANT_SCOPES.join(', ')}, got '${quantize}'`);
    if (dtype !== 'q8' && dtype !== 'q4') throw new UsageError(`--quantize applies to checkpoint builds at --dtype q8 or q4 (got --dtype ${dtype ?? 'auto'})`);
  }
  const progress = io ? progressPrinter(io) : undefined;
  try {
    return await loadModel(folder, {
      dtype,
      ...(quantize !== undefined ? { quantize: quantize as QuantScope } : {}),
      device,
      threads,
      ...(cacheDir !== undefined ? { cacheDir: path.resolve(cacheDir) } : {}),
      ...(progress && io ? { onProgress: progress.onProgress, signal: io.signal } : {}),
    });
  } finally {
    progress?.finish();
  }
}

/**
 * Axes by the editor's order (src/engine/run-target.ts): --axis files; else the prompt file's `axes`
 * (paths, or names of the model's shipped axes); else every axis shipped in the model folder.
 */
export async function openAxes(model: LensModel, files: string[], promptAxes: string[] = [], promptDir = '.', warnings?: Warnings): Promise<Direction[]> {
  const { axisFiles: use } = resolveRunTarget({
    explicit: { model: model.summary.folder, axes: files.map((f) => path.resolve(f)) },
    prompt: { axes: promptAxes, dir: promptDir },
  });
  const dirs: Direction[] = [];
  for (const p of use) {
    const d = await loadDirection(p, model);
    // A graph-hash mismatch: fine for another dtype of the same model, wrong for another model.
    for (const w of d.warnings ?? []) warnings?.add(w);
    // Extracted under another chat template: a warning, not an error (docs/vectors.md).
    for (const w of renderWarnings(d, { templateSha256: chatTemplateSha256(model.loaded.tokenizer.chatTemplate) })) warnings?.add(w);
    if (dirs.some((x) => x.name === d.name)) throw new Error(`two axes are named '${d.name}' (${p}); names must be unique`);
    dirs.push(d);
  }
  return dirs;
}

export const PROMPT_OPTIONS: OptionSpec[] = [
  { name: 'prompt', kind: 'string', short: 'p', description: 'prompt file (*.rlprompt)' },
  { name: 'system', kind: 'string', description: 'system prompt' },
  { name: 'text', kind: 'string', short: 't', description: 'user message' },
  { name: 'prefill', kind: 'string', description: 'assistant prefill the response continues' },
  { name: 'token-ids', kind: 'string', description: 'raw comma-separated token ids (bypasses the chat template)' },
];

export interface PromptFromArgs {
  input: PromptInput;
  file?: { path: string; parsed: ParsedPrompt };
}

/**
 * Reads a prompt file, failing with every located error; parse with `nLayers` once the model is
 * known. Warnings (an unknown field such as a misspelt "sytem") go to `warnings` when given.
 */
export function readPromptFile(file: string, nLayers?: number, warnings?: Warnings): ParsedPrompt {
  let source: string;
  try {
    source = readBoundedText(file, { what: 'prompt file', maxBytes: LIMITS.promptFileBytes });
  } catch (e) {
    throw new Error(`cannot read prompt file ${file}: ${e instanceof FileReadError ? e.detail : (e as Error).message}`);
  }
  const { prompt, diagnostics } = parsePromptFile(source, file, { nLayers });
  for (const d of diagnostics) if (d.severity !== 'error') warnings?.add(`${d.file}:${d.line}:${d.column} ${d.field ? `${d.field}: ` : ''}${d.message}`);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!prompt || errors.length) {
    throw new Error(`${file} has errors:\n${errors.map((d) => `  ${d.file}:${d.line}:${d.column} ${d.field ? `${d.field}: ` : ''}${d.message}`).join('\n')}`);
  }
  return prompt;
}

/** The prompt given by --prompt, --text (+ --system, --prefill) or --token-ids. */
export function promptFromArgs(args: ParsedArgs, nLayers?: number, warnings?: Warnings): PromptFromArgs {
  const file = str(args, 'prompt');
  const ids = str(args, 'token-ids');
  const text = str(args, 'text');
  const given = [file, ids, text].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --prompt FILE, --text TEXT, --token-ids IDS');
  if (ids !== undefined) {
    const tokenIds = ids.split(',').map((s, i) => {
      const n = Number(s.trim());
      if (s.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--token-ids: item ${i + 1} '${s}' is not a non-negative integer`);
      return n;
    });
    return { input: { kind: 'tokens', tokenIds } };
  }
  if (text !== undefined) {
    const messages: ChatMessage[] = [];
    const system = str(args, 'system');
    if (system !== undefined) messages.push({ role: 'system', content: system });
    messages.push({ role: 'user', content: text });
    const input: PromptInput = { kind: 'chat', messages };
    const prefill = str(args, 'prefill');
    if (prefill !== undefined) input.prefill = prefill;
    return { input };
  }
  const p = path.resolve(file!);
  const parsed = readPromptFile(p, nLayers, warnings);
  return { input: toPromptInput(parsed), file: { path: p, parsed } };
}

export { list };
