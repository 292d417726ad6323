// Prompt sets for experiments: a JSONL file or a built-in set from media/sets, read through the
// engine's JSONL parser (bad lines become diagnostics and are skipped), hashed for receipts and
// direction metadata, optionally cut to the first N rows and given a system prompt.
import { readFileSync } from 'node:fs';
import { FileReadError, readBoundedFile } from '../io/read';
import { LIMITS } from '../../protocol/limits';
import * as path from 'node:path';
import type { DatasetRow, Diagnostic } from '../../protocol/prompts';
import type { ChatMessage, PromptInput } from '../../protocol/types';
import { packageRoot } from '../builtin';
import { sha256Hex } from '../directions/index';
import { parseJsonl } from '../prompts/index';

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
}

export interface BuiltinContrast {
  positive: string;
  negative: string;
  positions: 'last_prompt' | 'post_instruction' | 'response_mean';
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

/** `builtin:NAME` or a path (relative to `baseDir`, default the working directory). */
export function loadPromptSet(spec: string, opts: SetLoadOptions = {}, baseDir = process.cwd()): PromptSet {
  let file: string;
  let name: string;
  if (spec.startsWith('builtin:')) {
    name = spec.slice('builtin:'.length);
    if (!builtinSetNames().includes(name)) throw new Error(`no built-in prompt set '${name}' (built-in sets: ${builtinSetNames().join(', ')})`);
    file = path.join(builtinSetsDir(), `${name}.jsonl`);
  } else {
    file = path.resolve(baseDir, spec);
    name = path.basename(file).replace(/\.jsonl?$/i, '');
  }
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(file, { what: 'JSONL prompt set', maxBytes: LIMITS.datasetBytes });
  } catch (e) {
    throw new Error(`${spec}: cannot read prompt set: ${e instanceof FileReadError ? e.detail : (e as Error).message}`);
  }
  const { rows, diagnostics } = parseJsonl(bytes.toString('utf8'), spec.startsWith('builtin:') ? spec : file);
  let kept = rows;
  if (opts.limit !== undefined) kept = kept.slice(0, opts.limit);
  if (opts.system !== undefined) kept = kept.map((r) => ({ ...r, messages: withSystem(r.messages, opts.system!) }));
  return { name, display: spec, file, sha256: sha256Hex(bytes), rows: kept, diagnostics };
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
