// Prompt sets for experiments: a JSONL, CSV or Parquet file (datasets/) or a built-in set from
// media/sets, read through the engine's JSONL row reader (bad rows become diagnostics and are
// skipped), hashed for receipts and direction metadata, optionally cut to the first N rows and
// given a system prompt.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetRow, Diagnostic } from '../../protocol/prompts';
import type { ChatMessage, PromptInput } from '../../protocol/types';
import { packageRoot } from '../builtin';
import { sha256Hex } from '../directions/index';
import type { FieldMap } from '../prompts/index';
import type { PositionRule } from './activations';
import { readDataset, readDatasetSync, type LoadedDataset } from './datasets/index';

export interface PromptSet {
  /** A short name: the built-in set's name or the file's stem. */
  name: string;
  /** As the user named it: a path, or builtin:NAME. */
  display: string;
  file: string;
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
  rows: DatasetRow[];
  /** Lines that could not be read (skipped), and warnings. */
  diagnostics: Diagnostic[];
}

export interface SetLoadOptions {
  /** Keep only the first N readable rows. */
  limit?: number;
  /** Replace the system message of every row (or add one); '' removes it. */
  system?: string;
  /** The columns holding the prompt, system prompt and id (default: the usual field names). */
  fields?: FieldMap;
}

export interface BuiltinContrast {
  positive: string;
  negative: string;
  positions: PositionRule;
  description: string;
}

export function builtinSetsDir(): string {
  return path.join(packageRoot(), 'media', 'sets');
}

/** The built-in contrasts (refusal, persona, trait:A-B) from media/sets/index.json. */
export function builtinContrasts(): Record<string, BuiltinContrast> {
  const file = path.join(builtinSetsDir(), 'index.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { builtins: Record<string, BuiltinContrast> }).builtins;
}

export function builtinSetNames(): string[] {
  const c = builtinContrasts();
  return [...new Set(Object.values(c).flatMap((b) => [b.positive, b.negative]))].sort();
}

function resolveSpec(spec: string, baseDir: string): { file: string; name: string; label: string } {
  if (spec.startsWith('builtin:')) {
    const name = spec.slice('builtin:'.length);
    if (!builtinSetNames().includes(name)) throw new Error(`no built-in prompt set '${name}' (built-in sets: ${builtinSetNames().join(', ')})`);
    return { file: path.join(builtinSetsDir(), `${name}.jsonl`), name, label: spec };
  }
  const file = path.resolve(baseDir, spec);
  return { file, name: path.basename(file).replace(/\.(jsonl?|csv|parquet)$/i, ''), label: file };
}

function toSet(spec: string, file: string, name: string, d: LoadedDataset, opts: SetLoadOptions): PromptSet {
  let kept = d.rows;
  if (opts.limit !== undefined) kept = kept.slice(0, opts.limit);
  if (opts.system !== undefined) kept = kept.map((r) => ({ ...r, messages: withSystem(r.messages, opts.system!) }));
  return { name, display: spec, file, sha256: sha256Hex(d.bytes), rows: kept, diagnostics: d.diagnostics };
}

/** `builtin:NAME` or a JSONL/CSV path (relative to `baseDir`, default the working directory); Parquet needs readPromptSet. */
export function loadPromptSet(spec: string, opts: SetLoadOptions = {}, baseDir = process.cwd()): PromptSet {
  const { file, name, label } = resolveSpec(spec, baseDir);
  return toSet(spec, file, name, readDatasetSync(file, label, opts.fields, 'prompt set'), opts);
}

/** loadPromptSet for every format, Parquet included. */
export async function readPromptSet(spec: string, opts: SetLoadOptions = {}, baseDir = process.cwd()): Promise<PromptSet> {
  const { file, name, label } = resolveSpec(spec, baseDir);
  return toSet(spec, file, name, await readDataset(file, label, opts.fields, 'prompt set'), opts);
}

export function withSystem(messages: ChatMessage[], system: string): ChatMessage[] {
  const rest = messages.filter((m) => m.role !== 'system');
  return system === '' ? rest : [{ role: 'system', content: system }, ...rest];
}

export function rowPrompt(row: DatasetRow): PromptInput {
  return { kind: 'chat', messages: row.messages, ...(row.prefill !== undefined ? { prefill: row.prefill } : {}) };
}

export function systemPromptOf(row: DatasetRow): string {
  return row.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
}

/** "file:12:3: message" lines for the skipped rows of a set. */
export function describeDiagnostics(set: PromptSet): string[] {
  return set.diagnostics.map((d) => `${d.severity === 'warning' ? 'warning: ' : ''}${path.basename(d.file)}:${d.line}:${d.column}: ${d.field ? d.field + ': ' : ''}${d.message}`);
}
